#!/usr/bin/env python3
"""Build the accuracy corpus of `vschan validate`: whole domain documents,
valid ones and character-device mutations (each rule broken, missing
attributes, wrong enums, bad nesting).

usage: make-corpus.py DIR

Writes DIR/NAME.xml for every case and DIR/manifest.tsv (name, intent,
description): intent is the rule id the case is about ("valid" for the
documents meant to be right).  It says what the case tries, not what is
right: libvirt's verdict (record-verdicts.sh) is the truth the test holds
vschan to.  Stale NAME.xml files in DIR are removed.
"""
import os
import sys

BASE = """<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <features>
    <acpi/>
  </features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
{devices}    <memballoon model='none'/>
  </devices>
</domain>
"""

VIRTIO_SERIAL = "<controller type='virtio-serial' index='0'/>"
SPICE = "<graphics type='spice'><listen type='none'/></graphics>"

CASES = []


def case(name, intent, description, *devices, spice=False, controller=True, raw=None):
    """A domain holding devices (strings, one element each).  A channel or
    console with a virtio target gets the controller unless told not to."""
    CASES.append((name, intent, description, list(devices), spice, controller, raw))


def chan(body, type_="unix", extra=""):
    return f"<channel type='{type_}'{extra}>{body}</channel>"


GA = "<target type='virtio' name='org.qemu.guest_agent.0'/>"

# --- valid documents ----------------------------------------------------
case("valid-empty", "valid", "no character devices")
case("valid-serial-pty", "valid", "pty serial", "<serial type='pty'><target port='0'/></serial>")
case("valid-serial-null", "valid", "null serial", "<serial type='null'/>")
case("valid-serial-vc", "valid", "vc serial", "<serial type='vc'/>")
case("valid-serial-stdio", "valid", "stdio serial", "<serial type='stdio'/>")
case("valid-serial-dev", "valid", "host device serial", "<serial type='dev'><source path='/dev/ttyS0'/></serial>")
case("valid-serial-file", "valid", "file serial with append",
     "<serial type='file'><source path='/var/log/vm-serial.log' append='on'/></serial>")
case("valid-serial-pipe", "valid", "pipe serial", "<serial type='pipe'><source path='/tmp/vm-pipe'/></serial>")
case("valid-serial-udp", "valid", "udp serial with both ends",
     "<serial type='udp'><source mode='bind' host='0.0.0.0' service='9998'/>"
     "<source mode='connect' host='127.0.0.1' service='9999'/></serial>")
case("valid-serial-udp-connect", "valid", "udp serial, connect end only",
     "<serial type='udp'><source mode='connect' host='127.0.0.1' service='9999'/></serial>")
case("valid-serial-tcp-connect", "valid", "tcp client serial",
     "<serial type='tcp'><source mode='connect' host='192.0.2.1' service='4556'/><protocol type='raw'/></serial>")
case("valid-serial-tcp-telnet", "valid", "tcp telnet server serial",
     "<serial type='tcp'><source mode='bind' host='127.0.0.1' service='4555'/><protocol type='telnet'/></serial>")
case("valid-serial-tcp-tls", "valid", "tcp serial with tls='yes'",
     "<serial type='tcp'><source mode='connect' host='127.0.0.1' service='5555' tls='yes'/></serial>")
case("valid-serial-tcp-reconnect", "valid", "tcp client with reconnect",
     "<serial type='tcp'><source mode='connect' host='127.0.0.1' service='4557'>"
     "<reconnect enabled='yes' timeout='10'/></source></serial>")
case("valid-serial-unix-bind", "valid", "unix server serial",
     "<serial type='unix'><source mode='bind' path='/run/vm/serial.sock'/></serial>")
case("valid-serial-unix-connect", "valid", "unix client serial",
     "<serial type='unix'><source mode='connect' path='/run/vm/peer.sock'/></serial>")
case("valid-serial-unix-reconnect-off", "valid", "unix client with reconnect disabled",
     "<serial type='unix'><source mode='connect' path='/run/vm/peer.sock'><reconnect enabled='no'/></source></serial>")
case("valid-serial-log", "valid", "pty serial with a log file",
     "<serial type='pty'><log file='/var/log/vm-serial-log.log' append='off'/></serial>")
case("valid-serial-isa-model", "valid", "isa-serial with its model",
     "<serial type='pty'><target type='isa-serial' port='0'><model name='isa-serial'/></target></serial>")
case("valid-serial-pci", "valid", "pci-serial", "<serial type='pty'><target type='pci-serial' port='0'/></serial>")
case("valid-serial-pci-model", "valid", "pci-serial with its model",
     "<serial type='pty'><target type='pci-serial' port='0'><model name='pci-serial'/></target></serial>")
case("valid-serial-usb", "valid", "usb-serial", "<serial type='pty'><target type='usb-serial' port='0'/></serial>")
case("valid-serial-isa-debug", "valid", "isa-debugcon",
     "<serial type='null'><target type='isa-debug' port='0'><model name='isa-debugcon'/></target></serial>")
case("valid-serial-four-isa", "valid", "four ISA serial ports",
     *[f"<serial type='null'><target type='isa-serial' port='{i}'/></serial>" for i in range(4)])
case("valid-serial-alias", "valid", "serial with a user alias",
     "<serial type='pty'><alias name='ua-console_1'/></serial>")
case("valid-serial-seclabel", "valid", "file serial with a DAC seclabel",
     "<serial type='file'><source path='/var/log/s.log'><seclabel model='dac' relabel='no'/></source></serial>")
case("valid-serial-isa-address", "valid", "isa-serial with an isa address",
     "<serial type='pty'><target type='isa-serial' port='0'/><address type='isa' iobase='0x3f8'/></serial>")
case("err-address-isa-irq", "schema", "an isa address with irq (the schema has no irq)",
     "<serial type='pty'><target type='isa-serial' port='0'/><address type='isa' iobase='0x3f8' irq='4'/></serial>")
case("valid-serial-pci-address", "valid", "pci-serial with a pci address",
     "<serial type='pty'><target type='pci-serial' port='0'/>"
     "<address type='pci' domain='0x0000' bus='0x00' slot='0x07' function='0x0'/></serial>")
case("valid-serial-spiceport", "valid", "spiceport serial with spice graphics",
     "<serial type='spiceport'><source channel='org.qemu.console.serial.0'/></serial>", spice=True)
case("valid-parallel-file", "valid", "file parallel", "<parallel type='file'><source path='/tmp/lp.out'/></parallel>")
case("valid-parallel-dev", "valid", "host parallel port", "<parallel type='dev'><source path='/dev/parport0'/></parallel>")
case("valid-parallel-tcp", "valid", "tcp parallel",
     "<parallel type='tcp'><source mode='bind' host='127.0.0.1' service='4560'/><protocol type='raw'/></parallel>")
case("valid-parallel-unix", "valid", "unix parallel",
     "<parallel type='unix'><source mode='bind' path='/run/vm/lp.sock'/></parallel>")
case("valid-console-pty", "valid", "pty console (serial alias)", "<console type='pty'/>")
case("valid-console-serial-pair", "valid", "serial and its serial console, same backend",
     "<serial type='pty'><target port='0'/></serial>",
     "<console type='pty'><target type='serial' port='0'/></console>")
case("valid-console-virtio", "valid", "virtio console", "<console type='pty'><target type='virtio' port='0'/></console>")
case("valid-console-virtio-unix", "valid", "virtio console on a unix socket",
     "<console type='unix'><source mode='bind' path='/run/vm/con.sock'/><target type='virtio' port='0'/></console>")
case("valid-console-virtio-two", "valid", "serial console plus a virtio console",
     "<console type='pty'><target type='serial' port='0'/></console>",
     "<console type='pty'><target type='virtio' port='1'/></console>")
case("valid-console-virtio-many", "valid", "three virtio consoles",
     *[f"<console type='pty'><target type='virtio' port='{i}'/></console>" for i in range(3)])
case("valid-channel-ga", "valid", "guest agent on an explicit socket",
     chan(f"<source mode='bind' path='/run/vm/ga.sock'/>{GA}"), VIRTIO_SERIAL)
case("valid-channel-ga-generated", "valid", "guest agent with a generated path",
     chan(f"<source mode='bind'/>{GA}"), VIRTIO_SERIAL)
case("valid-channel-ga-nosource", "valid", "guest agent without a source", chan(GA), VIRTIO_SERIAL)
case("valid-channel-pty", "valid", "virtio pty channel",
     chan("<target type='virtio' name='org.example.pty'/>", "pty"), VIRTIO_SERIAL)
case("valid-channel-unnamed", "valid", "virtio channel without a name",
     chan("<source mode='bind' path='/run/vm/x.sock'/><target type='virtio'/>"), VIRTIO_SERIAL)
case("valid-channel-file", "valid", "virtio channel into a file",
     chan("<source path='/var/log/chan.log'/><target type='virtio' name='org.example.log'/>", "file"), VIRTIO_SERIAL)
case("valid-channel-tcp", "valid", "virtio channel over tcp",
     chan("<source mode='bind' host='127.0.0.1' service='4600'/><target type='virtio' name='org.example.tcp'/>", "tcp"),
     VIRTIO_SERIAL)
case("valid-channel-unix-connect-reconnect", "valid", "unix client channel with reconnect",
     chan("<source mode='connect' path='/run/vm/peer.sock'><reconnect enabled='yes' timeout='5'/></source>"
          "<target type='virtio' name='org.example.peer'/>"), VIRTIO_SERIAL)
case("valid-channel-spicevmc", "valid", "spicevmc channel with spice graphics",
     chan("<target type='virtio' name='com.redhat.spice.0'/>", "spicevmc"), VIRTIO_SERIAL, spice=True)
case("valid-channel-spicevmc-noname", "valid", "spicevmc channel, default name",
     chan("<target type='virtio'/>", "spicevmc"), VIRTIO_SERIAL, spice=True)
case("valid-channel-spiceport", "valid", "spiceport channel with spice graphics",
     chan("<source channel='org.spice.port.0'/><target type='virtio' name='org.spice.port.0'/>", "spiceport"),
     VIRTIO_SERIAL, spice=True)
case("valid-channel-vdagent", "valid", "qemu-vdagent channel",
     chan("<source><clipboard copypaste='yes'/><mouse mode='client'/></source>"
          "<target type='virtio' name='com.redhat.spice.0'/>", "qemu-vdagent"), VIRTIO_SERIAL)
case("valid-channel-guestfwd", "valid", "guestfwd on a unix socket",
     chan("<source mode='bind' path='/run/vm/gf.sock'/><target type='guestfwd' address='10.0.2.1' port='4600'/>"))
case("valid-channel-guestfwd-tcp", "valid", "guestfwd to a tcp service",
     chan("<source mode='connect' host='127.0.0.1' service='8080'/><target type='guestfwd' address='10.0.2.2' port='4601'/>",
          "tcp"))
case("valid-channel-guestfwd-two", "valid", "two guestfwd on different ports",
     chan("<source mode='bind' path='/run/vm/gf1.sock'/><target type='guestfwd' address='10.0.2.1' port='4600'/>"),
     chan("<source mode='bind' path='/run/vm/gf2.sock'/><target type='guestfwd' address='10.0.2.1' port='4601'/>"))
case("valid-channel-address", "valid", "virtio channel with an explicit port",
     chan("<source mode='bind' path='/run/vm/a.sock'/><target type='virtio' name='org.example.a'/>"
          "<address type='virtio-serial' controller='0' bus='0' port='5'/>"), VIRTIO_SERIAL)
case("valid-channel-port-30", "valid", "virtio port 30 of the default 31",
     chan("<source mode='bind' path='/run/vm/a.sock'/><target type='virtio' name='org.example.a'/>"
          "<address type='virtio-serial' controller='0' bus='0' port='30'/>"), VIRTIO_SERIAL)
case("valid-channel-ports-8", "valid", "controller with ports='8' and a channel on port 7",
     chan("<source mode='bind' path='/run/vm/a.sock'/><target type='virtio' name='org.example.a'/>"
          "<address type='virtio-serial' controller='0' bus='0' port='7'/>"),
     "<controller type='virtio-serial' index='0' ports='8'/>")
case("valid-channel-alias", "valid", "channel with a user alias",
     chan(f"<source mode='bind' path='/run/vm/ga.sock'/>{GA}<alias name='ua-ga'/>"), VIRTIO_SERIAL)
case("valid-channel-two-controllers", "valid", "channel on the second virtio-serial controller",
     chan("<source mode='bind' path='/run/vm/a.sock'/><target type='virtio' name='org.example.a'/>"
          "<address type='virtio-serial' controller='1' bus='0' port='1'/>"),
     VIRTIO_SERIAL, "<controller type='virtio-serial' index='1'/>")
case("valid-channel-many", "valid", "several channels",
     *[chan(f"<source mode='bind' path='/run/vm/c{i}.sock'/><target type='virtio' name='org.example.c{i}'/>")
       for i in range(6)], VIRTIO_SERIAL)
case("valid-channel-null", "valid", "null virtio channel",
     chan("<target type='virtio' name='org.example.null'/>", "null"), VIRTIO_SERIAL)
case("valid-channel-udp", "valid", "udp virtio channel",
     chan("<source mode='connect' host='127.0.0.1' service='9999'/><target type='virtio' name='org.example.udp'/>", "udp"),
     VIRTIO_SERIAL)
case("valid-mixed", "valid", "a bit of everything",
     "<serial type='pty'><target port='0'/></serial>",
     "<console type='pty'><target type='serial' port='0'/></console>",
     "<console type='pty'><target type='virtio' port='1'/></console>",
     chan(f"<source mode='bind'/>{GA}"),
     chan("<target type='virtio' name='com.redhat.spice.0'/>", "spicevmc"),
     "<parallel type='null'/>", VIRTIO_SERIAL, spice=True)
case("valid-channel-state", "valid", "virtio target with state (output only, ignored)",
     chan("<target type='virtio' name='org.example.s' state='connected'/>", "pty"), VIRTIO_SERIAL)
case("valid-serial-tty", "valid", "live XML: pty with tty and source path",
     "<serial type='pty' tty='/dev/pts/3'><source path='/dev/pts/3'/><target port='0'/></serial>")
case("valid-alias-plain", "valid", "an alias without ua- (dropped by libvirt)",
     "<serial type='pty'><alias name='serial0'/></serial>")

# --- accepted by libvirt but wrong: warnings -----------------------------
case("warn-channel-name-unique", "channel-name-unique", "two ports with the same name",
     chan("<source mode='bind' path='/run/vm/a.sock'/><target type='virtio' name='org.example.same'/>"),
     chan("<source mode='bind' path='/run/vm/b.sock'/><target type='virtio' name='org.example.same'/>"), VIRTIO_SERIAL)
case("warn-channel-name-chars", "channel-name-chars", "a port name with a space and a slash",
     chan("<source mode='bind' path='/run/vm/a.sock'/><target type='virtio' name='org example/x'/>"), VIRTIO_SERIAL)
case("warn-unix-path-shared", "unix-path-shared", "two devices on one socket",
     "<serial type='unix'><source mode='bind' path='/run/vm/same.sock'/></serial>",
     chan("<source mode='bind' path='/run/vm/same.sock'/><target type='virtio' name='org.example.a'/>"), VIRTIO_SERIAL)
case("warn-unix-path-length", "unix-path-length", "a socket path longer than sun_path",
     "<serial type='unix'><source mode='bind' path='/run/" + "x" * 120 + ".sock'/></serial>")
case("warn-protocol-telnets", "protocol-ignored", "telnets protocol is ignored",
     "<serial type='tcp'><source mode='bind' host='127.0.0.1' service='4555'/><protocol type='telnets'/></serial>")
case("warn-protocol-tls", "protocol-ignored", "tls protocol is ignored",
     "<serial type='tcp'><source mode='bind' host='127.0.0.1' service='4555'/><protocol type='tls'/></serial>")
case("warn-protocol-unix", "protocol-ignored", "protocol on a unix backend",
     "<serial type='unix'><source mode='bind' path='/run/vm/s.sock'/><protocol type='telnet'/></serial>")
case("warn-source-unused-tcp-path", "source-unused", "a path on a tcp source",
     "<serial type='tcp'><source mode='bind' host='127.0.0.1' service='4555' path='/tmp/x'/></serial>")
case("warn-source-unused-file-host", "source-unused", "a host on a file source",
     "<serial type='file'><source path='/tmp/x.log' host='example.org'/></serial>")
case("warn-source-unused-null", "source-unused", "a source on a null backend",
     "<serial type='null'><source path='/tmp/x'/></serial>")
case("warn-guestfwd-unique", "guestfwd-unique", "the same address:port twice",
     chan("<source mode='bind' path='/run/vm/gf1.sock'/><target type='guestfwd' address='10.0.2.1' port='4600'/>"),
     chan("<source mode='bind' path='/run/vm/gf2.sock'/><target type='guestfwd' address='10.0.2.1' port='4600'/>"))
case("err-isa-serial-max", "isa-serial-max", "five ISA serial ports",
     *[f"<serial type='null'><target type='isa-serial' port='{i}'/></serial>" for i in range(5)])
case("warn-console-compat", "console-compat", "serial console with another backend than serial0",
     "<serial type='file'><source path='/tmp/s.log'/><target port='0'/></serial>",
     "<console type='pty'><target type='serial' port='0'/></console>")
case("warn-virtio-serial-controller", "virtio-serial-controller", "virtio channel without a controller",
     chan(f"<source mode='bind' path='/run/vm/ga.sock'/>{GA}"), controller=False)
case("warn-virtio-console-controller", "virtio-serial-controller", "virtio console without a controller",
     "<console type='pty'><target type='virtio' port='0'/></console>", controller=False)
case("warn-xen-channel", "xen-target", "xen channel target on QEMU",
     chan("<source mode='bind' path='/run/vm/x.sock'/><target type='xen' name='org.example.x'/>"))

# --- rules libvirt enforces ---------------------------------------------
case("warn-backend-nmdm", "backend-unsupported", "nmdm on QEMU",
     "<serial type='nmdm'><source master='/dev/nmdm0A' slave='/dev/nmdm0B'/></serial>")
case("err-channel-no-target", "target-missing", "channel without a target",
     chan("<source mode='bind' path='/run/vm/x.sock'/>"))
case("err-channel-target-notype", "target-missing", "channel target without a type",
     chan("<source mode='bind' path='/run/vm/x.sock'/><target name='org.example.x'/>"))
case("err-console-target-xen", "target-type", "xen console on QEMU",
     "<console type='pty'><target type='xen' port='0'/></console>")
case("err-console-target-lxc", "target-type", "lxc console on QEMU", "<console type='pty'><target type='lxc' port='0'/></console>")
case("err-console-target-openvz", "target-type", "openvz console on QEMU",
     "<console type='pty'><target type='openvz' port='0'/></console>")
case("err-console-target-uml", "target-type", "uml console on QEMU", "<console type='pty'><target type='uml' port='0'/></console>")
case("err-console-target-sclp", "target-arch", "sclp console on x86",
     "<console type='pty'><target type='sclp' port='0'/></console>")
case("err-serial-target-virtio", "target-type", "serial with a console target type",
     "<serial type='pty'><target type='virtio' port='0'/></serial>")
case("err-spicevmc-serial", "spicevmc-target", "spicevmc on a serial port", "<serial type='spicevmc'/>", spice=True)
case("err-spicevmc-console", "spicevmc-target", "spicevmc on a virtio console",
     "<console type='spicevmc'><target type='virtio' port='0'/></console>", VIRTIO_SERIAL, spice=True)
case("err-spicevmc-guestfwd", "spicevmc-target", "spicevmc on a guestfwd channel",
     chan("<target type='guestfwd' address='10.0.2.1' port='4600'/>", "spicevmc"), spice=True)
case("warn-spicevmc-name", "spicevmc-name", "spicevmc with another name",
     chan("<target type='virtio' name='org.foo'/>", "spicevmc"), VIRTIO_SERIAL, spice=True)
case("err-guestfwd-no-address", "guestfwd-address", "guestfwd without an address",
     chan("<source mode='bind' path='/run/vm/gf.sock'/><target type='guestfwd' port='4600'/>"))
case("err-guestfwd-ipv6", "guestfwd-address", "guestfwd with IPv6",
     chan("<source mode='bind' path='/run/vm/gf.sock'/><target type='guestfwd' address='fd00::1' port='4600'/>"))
case("err-guestfwd-hostname", "guestfwd-address", "guestfwd with a host name",
     chan("<source mode='bind' path='/run/vm/gf.sock'/><target type='guestfwd' address='gateway' port='4600'/>"))
case("err-guestfwd-no-port", "guestfwd-port", "guestfwd without a port",
     chan("<source mode='bind' path='/run/vm/gf.sock'/><target type='guestfwd' address='10.0.2.1'/>"))
case("warn-guestfwd-port-0", "guestfwd-port-zero", "guestfwd on port 0",
     chan("<source mode='bind' path='/run/vm/gf.sock'/><target type='guestfwd' address='10.0.2.1' port='0'/>"))
case("warn-host-comma", "host-comma", "a tcp host with a comma, passed on to QEMU as another option",
     "<serial type='tcp'><source mode='connect' host='localhost,logfile=/tmp/x' service='4555'/><protocol type='raw'/></serial>")
case("warn-udp-service-comma", "host-comma", "a udp service with a comma",
     "<serial type='udp'><source mode='connect' host='127.0.0.1' service='4555,reconnect=1'/></serial>")
case("warn-value-newline", "value-whitespace", "a socket path with a newline, read back as a space",
     chan("<source mode='bind' path='/run/vm/a&#10;b.sock'/>" + GA))
case("err-file-no-path", "source-path", "file serial without a path", "<serial type='file'/>")
case("err-file-source-no-path", "source-path", "file serial with an empty source", "<serial type='file'><source/></serial>")
case("err-pipe-no-path", "source-path", "pipe serial without a path", "<serial type='pipe'/>")
case("err-dev-no-path", "source-path", "dev serial without a path", "<serial type='dev'/>")
case("err-unix-serial-no-path", "source-path", "unix serial without a path",
     "<serial type='unix'><source mode='bind'/></serial>")
case("err-unix-console-no-path", "source-path", "unix virtio console without a path",
     "<console type='unix'><source mode='bind'/><target type='virtio' port='0'/></console>", VIRTIO_SERIAL)
case("err-unix-parallel-no-path", "source-path", "unix parallel without a path", "<parallel type='unix'/>")
case("err-unix-guestfwd-no-path", "source-path", "unix guestfwd without a path",
     chan("<source mode='bind'/><target type='guestfwd' address='10.0.2.1' port='4600'/>"))
case("err-tcp-no-host", "tcp-host", "tcp without a host",
     "<serial type='tcp'><source mode='bind' service='4555'/></serial>")
case("err-tcp-no-service", "tcp-service", "tcp without a service",
     "<serial type='tcp'><source mode='bind' host='127.0.0.1'/></serial>")
case("err-tcp-no-source", "tcp-host", "tcp without a source", "<serial type='tcp'/>")
case("err-udp-no-service", "udp-service", "udp without a connect service",
     "<serial type='udp'><source mode='connect' host='127.0.0.1'/></serial>")
case("err-udp-bind-only", "udp-service", "udp with only a bind end",
     "<serial type='udp'><source mode='bind' host='0.0.0.0' service='9998'/></serial>")
case("err-reconnect-bind", "reconnect-mode", "reconnect in bind mode",
     "<serial type='tcp'><source mode='bind' host='127.0.0.1' service='4555'>"
     "<reconnect enabled='yes' timeout='10'/></source></serial>")
case("err-reconnect-unix-bind", "reconnect-mode", "reconnect on a unix server",
     "<serial type='unix'><source mode='bind' path='/run/vm/s.sock'><reconnect enabled='yes' timeout='10'/></source></serial>")
case("err-reconnect-generated-path", "reconnect-mode", "reconnect on a generated channel path",
     chan(f"<source mode='connect'><reconnect enabled='yes' timeout='10'/></source>{GA}"), VIRTIO_SERIAL)
case("err-reconnect-no-timeout", "reconnect-timeout", "enabled reconnect without a timeout",
     "<serial type='tcp'><source mode='connect' host='127.0.0.1' service='4555'><reconnect enabled='yes'/></source></serial>")
case("err-reconnect-timeout-0", "reconnect-timeout", "reconnect timeout 0",
     "<serial type='tcp'><source mode='connect' host='127.0.0.1' service='4555'>"
     "<reconnect enabled='yes' timeout='0'/></source></serial>")
case("err-spiceport-no-channel", "source-channel", "spiceport without a channel",
     "<serial type='spiceport'/>", spice=True)
case("err-spiceport-bad-channel", "source-channel", "spiceport channel with a space",
     "<serial type='spiceport'><source channel='org qemu'/></serial>", spice=True)
case("valid-alias-dot", "valid", "user alias with a dot (libvirt's schema allows it)",
     "<serial type='pty'><alias name='ua-bad.name'/></serial>")
case("valid-alias-prefix-only", "valid", "user alias that is only the prefix (works)",
     "<serial type='pty'><alias name='ua-'/></serial>")
case("err-alias-duplicate", "alias-unique", "the same alias on two channels (libvirt refuses it)",
     chan(f"<source mode='bind' path='/run/vm/a.sock'/><target type='virtio' name='org.example.a'/><alias name='ua-dup'/>"),
     chan(f"<source mode='bind' path='/run/vm/b.sock'/><target type='virtio' name='org.example.b'/><alias name='ua-dup'/>"),
     VIRTIO_SERIAL)
case("warn-alias-duplicate", "alias-unique-first-serial", "the same alias twice, on the first serial port too",
     "<serial type='pty'><target port='0'/><alias name='ua-dup'/></serial>",
     "<serial type='pty'><target port='1'/><alias name='ua-dup'/></serial>")
case("warn-alias-duplicate-kinds", "alias-unique-first-serial", "the same alias on the first serial port and a channel",
     "<serial type='pty'><alias name='ua-dup'/></serial>",
     chan(f"<source mode='bind' path='/run/vm/ga.sock'/>{GA}<alias name='ua-dup'/>"), VIRTIO_SERIAL)
case("err-console-serial-second", "console-serial-first", "two serial consoles",
     "<console type='pty'><target type='virtio' port='0'/></console>",
     "<console type='pty'><target type='serial' port='0'/></console>", VIRTIO_SERIAL)
case("err-serial-model-mismatch", "serial-model", "pci-serial type with the usb-serial model",
     "<serial type='pty'><target type='pci-serial' port='0'><model name='usb-serial'/></target></serial>")
case("err-serial-system-pl011-x86", "target-arch", "system-serial with the pl011 model on x86 (libvirt refuses it)",
     "<serial type='pty'><target type='system-serial'><model name='pl011'/></target></serial>")
case("err-serial-model-isa-pl011", "serial-model", "isa-serial with the pl011 model",
     "<serial type='pty'><target type='isa-serial' port='0'><model name='pl011'/></target></serial>")
case("err-serial-spapr", "target-arch", "spapr-vio-serial on x86",
     "<serial type='pty'><target type='spapr-vio-serial' port='0'/></serial>")
case("warn-serial-system", "system-serial-arch", "system-serial on x86",
     "<serial type='pty'><target type='system-serial' port='0'/></serial>")
case("err-serial-sclp", "target-arch", "sclp-serial on x86",
     "<serial type='pty'><target type='sclp-serial' port='0'/></serial>")
case("err-virtio-port-duplicate", "virtio-port-unique", "two channels on one virtio-serial port",
     chan("<source mode='bind' path='/run/vm/a.sock'/><target type='virtio' name='org.example.a'/>"
          "<address type='virtio-serial' controller='0' bus='0' port='2'/>"),
     chan("<source mode='bind' path='/run/vm/b.sock'/><target type='virtio' name='org.example.b'/>"
          "<address type='virtio-serial' controller='0' bus='0' port='2'/>"), VIRTIO_SERIAL)
case("err-virtio-port-range", "virtio-port-range", "virtio port 40 of the default 31",
     chan("<source mode='bind' path='/run/vm/a.sock'/><target type='virtio' name='org.example.a'/>"
          "<address type='virtio-serial' controller='0' bus='0' port='40'/>"), VIRTIO_SERIAL)
case("err-virtio-port-31", "virtio-port-range", "virtio port 31 of the default 31",
     chan("<source mode='bind' path='/run/vm/a.sock'/><target type='virtio' name='org.example.a'/>"
          "<address type='virtio-serial' controller='0' bus='0' port='31'/>"), VIRTIO_SERIAL)
case("err-virtio-port-ports-4", "virtio-port-range", "port 4 on a controller with ports='4'",
     chan("<source mode='bind' path='/run/vm/a.sock'/><target type='virtio' name='org.example.a'/>"
          "<address type='virtio-serial' controller='0' bus='0' port='4'/>"),
     "<controller type='virtio-serial' index='0' ports='4'/>")
case("warn-address-pci-on-channel", "virtio-address", "a pci address on a virtio channel",
     chan("<source mode='bind' path='/run/vm/a.sock'/><target type='virtio' name='org.example.a'/>"
          "<address type='pci' domain='0x0000' bus='0x00' slot='0x07' function='0x0'/>"), VIRTIO_SERIAL)
case("err-address-virtio-on-serial", "address-type", "a virtio-serial address on an isa serial",
     "<serial type='pty'><target type='isa-serial' port='0'/>"
     "<address type='virtio-serial' controller='0' bus='0' port='2'/></serial>", VIRTIO_SERIAL)
case("err-address-ccw-on-serial", "address-type", "a ccw address on an x86 serial",
     "<serial type='pty'><address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0001'/></serial>")
case("err-spicevmc-no-spice", "spice-graphics", "spicevmc without spice graphics",
     chan("<target type='virtio' name='com.redhat.spice.0'/>", "spicevmc"), VIRTIO_SERIAL)
case("err-spiceport-no-spice", "spice-graphics", "spiceport without spice graphics",
     "<serial type='spiceport'><source channel='org.qemu.console.serial.0'/></serial>")
case("warn-serial-port-duplicate", "serial-port-unique", "two serials on target port 0",
     "<serial type='pty'><target port='0'/></serial>", "<serial type='null'><target port='0'/></serial>")
case("valid-parallel-port-duplicate", "valid", "two parallels on target port 0 (starts)",
     "<parallel type='null'><target port='0'/></parallel>", "<parallel type='null'><target port='0'/></parallel>")
case("valid-virtio-controller-added", "valid", "channel addressed to controller 1, which libvirt adds",
     chan("<source mode='bind' path='/run/vm/a.sock'/><target type='virtio' name='org.example.a'/>"
          "<address type='virtio-serial' controller='1' bus='0' port='1'/>"), VIRTIO_SERIAL)
case("err-usb-serial-no-usb", "usb-serial-usb", "usb-serial with usb controller model none",
     "<serial type='pty'><target type='usb-serial' port='0'/></serial>", "<controller type='usb' model='none'/>")

# --- structure: what libvirt's parser insists on -------------------------
case("err-two-sources", "xml-structure", "tcp with two sources",
     "<serial type='tcp'><source mode='bind' host='127.0.0.1' service='1'/>"
     "<source mode='bind' host='127.0.0.1' service='2'/></serial>")
case("err-two-logs", "xml-structure", "two log elements",
     "<serial type='pty'><log file='/tmp/a.log'/><log file='/tmp/b.log'/></serial>")
case("err-two-protocols", "xml-structure", "two protocol elements",
     "<serial type='tcp'><source mode='bind' host='127.0.0.1' service='1'/><protocol type='raw'/><protocol type='telnet'/></serial>")
case("err-two-targets", "xml-structure", "two target elements",
     chan("<source mode='bind' path='/run/vm/a.sock'/><target type='virtio' name='a'/><target type='virtio' name='b'/>"),
     VIRTIO_SERIAL)
case("err-udp-three-sources", "xml-structure", "udp with three sources",
     "<serial type='udp'><source mode='bind' host='0.0.0.0' service='1'/><source mode='connect' host='127.0.0.1' service='2'/>"
     "<source mode='connect' host='127.0.0.1' service='3'/></serial>")

# --- wrong enums and values -------------------------------------------
case("err-enum-backend", "schema", "unknown backend type", "<serial type='bogus'/>")
case("err-enum-mode", "schema", "unknown source mode",
     "<serial type='unix'><source mode='listen' path='/run/vm/s.sock'/></serial>")
case("err-enum-protocol", "schema", "unknown protocol",
     "<serial type='tcp'><source mode='bind' host='127.0.0.1' service='1'/><protocol type='ssh'/></serial>")
case("err-enum-channel-target", "schema", "unknown channel target type",
     chan("<source mode='bind' path='/run/vm/a.sock'/><target type='vsock' name='a'/>"))
case("err-enum-serial-target", "schema", "unknown serial target type",
     "<serial type='pty'><target type='virtio-serial' port='0'/></serial>")
case("err-enum-console-target", "schema", "unknown console target type",
     "<console type='pty'><target type='hvc' port='0'/></console>")
case("err-enum-model", "schema", "unknown serial model",
     "<serial type='pty'><target type='isa-serial' port='0'><model name='8250'/></target></serial>")
case("err-enum-append", "schema", "append='yes' instead of on",
     "<serial type='file'><source path='/tmp/a.log' append='yes'/></serial>")
case("err-enum-tls", "schema", "tls='on' instead of yes",
     "<serial type='tcp'><source mode='connect' host='127.0.0.1' service='1' tls='on'/></serial>")
case("err-enum-reconnect", "schema", "reconnect enabled='true'",
     "<serial type='tcp'><source mode='connect' host='127.0.0.1' service='1'><reconnect enabled='true' timeout='1'/></source></serial>")
case("err-enum-log-append", "schema", "log append='maybe'",
     "<serial type='pty'><log file='/tmp/a.log' append='maybe'/></serial>")
case("err-enum-state", "schema", "virtio target state='open'",
     chan("<target type='virtio' name='org.example.s' state='open'/>", "pty"), VIRTIO_SERIAL)
case("err-enum-mouse", "schema", "vdagent mouse mode='tablet'",
     chan("<source><mouse mode='tablet'/></source><target type='virtio' name='com.redhat.spice.0'/>", "qemu-vdagent"),
     VIRTIO_SERIAL)
case("err-enum-clipboard", "schema", "vdagent copypaste='on'",
     chan("<source><clipboard copypaste='on'/></source><target type='virtio' name='com.redhat.spice.0'/>", "qemu-vdagent"),
     VIRTIO_SERIAL)
case("err-value-port-text", "xml-bad-value", "serial target port='x'", "<serial type='pty'><target port='x'/></serial>")
case("valid-port-minus-one", "valid", "serial target port='-1' (libvirt assigns one)", "<serial type='pty'><target port='-1'/></serial>")
case("err-value-guestfwd-port-text", "schema", "guestfwd port='http'",
     chan("<source mode='bind' path='/run/vm/gf.sock'/><target type='guestfwd' address='10.0.2.1' port='http'/>"))
case("err-value-reconnect-timeout", "schema", "reconnect timeout='soon'",
     "<serial type='tcp'><source mode='connect' host='127.0.0.1' service='1'><reconnect enabled='yes' timeout='soon'/></source></serial>")
case("err-value-log-relative", "schema", "log file with a relative path",
     "<serial type='pty'><log file='serial.log'/></serial>")
case("err-value-controller-ports", "schema", "virtio-serial ports='many'",
     "<controller type='virtio-serial' index='0' ports='many'/>")
case("err-value-alias-space", "schema", "alias with a space", "<serial type='pty'><alias name='ua-a b'/></serial>")
case("err-value-virtio-port-text", "schema", "virtio-serial address port='x'",
     chan("<source mode='bind' path='/run/vm/a.sock'/><target type='virtio' name='org.example.a'/>"
          "<address type='virtio-serial' controller='0' bus='0' port='x'/>"), VIRTIO_SERIAL)

# --- missing attributes --------------------------------------------------
case("err-missing-log-file", "schema", "log without file", "<serial type='pty'><log append='on'/></serial>")
case("err-missing-alias-name", "schema", "alias without name", "<serial type='pty'><alias/></serial>")
case("err-missing-reconnect-enabled", "schema", "reconnect without enabled",
     "<serial type='tcp'><source mode='connect' host='127.0.0.1' service='1'><reconnect timeout='5'/></source></serial>")
case("err-missing-address-type", "schema", "address without type",
     chan("<source mode='bind' path='/run/vm/a.sock'/><target type='virtio' name='org.example.a'/>"
          "<address controller='0' bus='0' port='3'/>"), VIRTIO_SERIAL)
case("err-missing-model-name", "schema", "target model without name",
     "<serial type='pty'><target type='isa-serial' port='0'><model/></target></serial>")
case("err-missing-clipboard", "schema", "clipboard without copypaste",
     chan("<source><clipboard/></source><target type='virtio' name='com.redhat.spice.0'/>", "qemu-vdagent"), VIRTIO_SERIAL)
case("err-missing-seclabel-label", "schema", "seclabel with an unknown attribute",
     "<serial type='file'><source path='/tmp/a.log'><seclabel model='dac' relabel='no' level='x'/></source></serial>")

# --- bad nesting ------------------------------------------------------
case("err-nest-source-in-devices", "schema", "a <source> directly in <devices>", "<source path='/tmp/x'/>")
case("err-nest-target-in-source", "schema", "a <target> inside <source>",
     "<serial type='pty'><source><target port='0'/></source></serial>")
case("err-nest-channel-in-serial", "schema", "a <channel> inside a <serial>",
     f"<serial type='pty'>{chan(GA)}</serial>", VIRTIO_SERIAL)
case("err-nest-reconnect-in-device", "schema", "<reconnect> on the device, not the source",
     "<serial type='tcp'><source mode='connect' host='127.0.0.1' service='1'/><reconnect enabled='no'/></serial>")
case("err-nest-unknown-child", "schema", "an unknown child element",
     "<serial type='pty'><speed baud='115200'/></serial>")
case("err-nest-model-in-device", "schema", "<model> on the serial, not its target",
     "<serial type='pty'><model name='isa-serial'/></serial>")
case("err-nest-log-in-source", "schema", "<log> inside <source>",
     "<serial type='file'><source path='/tmp/a.log'><log file='/tmp/b.log'/></source></serial>")
case("err-nest-unknown-attribute", "schema", "an unknown attribute on the device",
     "<serial type='pty' speed='115200'/>")
case("err-nest-chardev-outside-devices", "schema", "a <serial> outside <devices>",
     raw=BASE.replace("<on_crash>", "<serial type='pty'/>\n  <on_crash>"))
case("err-nest-two-devices", "schema", "two <devices> elements",
     raw=BASE.replace("  </devices>\n", "  </devices>\n  <devices><serial type='pty'/></devices>\n"))
case("err-domain-no-name", "schema", "a domain without a name", raw=BASE.replace("  <name>{name}</name>\n", ""))
case("err-domain-memory-unit", "schema", "memory in 'lightyears'",
     raw=BASE.replace("unit='MiB'", "unit='lightyears'"))
case("err-domain-unknown-element", "schema", "an unknown element in the domain",
     raw=BASE.replace("<on_crash>", "<colour>blue</colour>\n  <on_crash>"))

# --- vhost-user devices (libvirt wants the guest's memory shared) --------
SHARED = ("<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>\n"
          "  <memory unit='MiB'>64</memory>")


def vhost(name, intent, description, *devices, shared=True):
    """A domain holding vhost-user devices, its memory shared unless told not to."""
    base = BASE.replace("<memory unit='MiB'>64</memory>", SHARED) if shared else BASE
    case(name, intent, description, raw=base.replace("{devices}", "".join(f"    {d}\n" for d in devices)))


def fs(body="<source socket='/run/vm/fs.sock'/><target dir='share'/>", driver="<driver type='virtiofs'/>",
       extra=""):
    return f"<filesystem type='mount'{extra}>{driver}{body}</filesystem>"


def net(source="<source type='unix' path='/run/vm/net.sock' mode='client'/>", rest="<model type='virtio'/>"):
    return f"<interface type='vhostuser'>{source}{rest}</interface>"


def blk(driver="<driver name='qemu' type='raw'/>", target="<target dev='vdb' bus='virtio'/>", rest="",
        device="disk", path="/run/vm/blk.sock"):
    return (f"<disk type='vhostuser' device='{device}'>{driver}<source type='unix' path='{path}'/>"
            f"{target}{rest}</disk>")


vhost("valid-vhost-fs-socket", "valid", "virtiofs on a daemon's socket", fs())
vhost("valid-vhost-fs-dir", "valid", "virtiofs, libvirt starts virtiofsd",
      fs("<binary path='/usr/lib/qemu/virtiofsd' xattr='on'><cache mode='always'/></binary>"
         "<source dir='/srv'/><target dir='share'/>", "<driver type='virtiofs' queue='1024'/>",
         " accessmode='passthrough'"))
vhost("valid-vhost-net-client", "valid", "vhost-user interface, the daemon listens",
      net(rest="<model type='virtio'/><driver queues='2' rx_queue_size='512' tx_queue_size='512'/>"))
vhost("valid-vhost-net-server", "valid", "vhost-user interface, QEMU listens",
      net("<source type='unix' path='/run/vm/net.sock' mode='server'/>"))
vhost("valid-vhost-net-reconnect", "valid", "vhost-user interface reconnecting",
      net("<source type='unix' path='/run/vm/net.sock' mode='client'><reconnect enabled='yes' timeout='5'/></source>"))
vhost("valid-vhost-blk", "valid", "vhost-user disk", blk(rest="<boot order='1'/>"))
vhost("valid-vhost-all", "valid", "a filesystem, an interface and a disk",
      fs(), net(rest="<model type='virtio'/><boot order='2'/>"), blk(rest="<boot order='1'/>"))
vhost("valid-vhost-pci-address", "valid", "a vhost-user disk at a PCI address",
      blk(rest="<address type='pci' domain='0x0000' bus='0x00' slot='0x07' function='0x0'/>"))
vhost("warn-vhost-net-private-memory", "vhost-shared-memory-net", "vhost-user interface, memory not shared",
      net(), shared=False)
vhost("warn-vhost-fs-queue", "virtiofs-queue", "virtiofs queue size not a power of two",
      fs(driver="<driver type='virtiofs' queue='1000'/>"))
vhost("warn-vhost-socket-shared", "vhost-socket-shared", "two devices on one socket",
      blk(), blk(target="<target dev='vdc' bus='virtio'/>"))
vhost("err-vhost-fs-private-memory", "vhost-shared-memory", "virtiofs, memory not shared", fs(), shared=False)
vhost("err-vhost-blk-private-memory", "vhost-shared-memory", "vhost-user disk, memory not shared", blk(),
      shared=False)
vhost("err-vhost-fs-relative-socket", "schema", "virtiofs socket path relative",
      fs("<source socket='fs.sock'/><target dir='share'/>"))
vhost("err-vhost-net-relative-path", "schema", "vhost-user interface socket path relative",
      net("<source type='unix' path='net.sock' mode='client'/>"))
vhost("err-vhost-blk-relative-path", "schema", "vhost-user disk socket path relative", blk(path="blk.sock"))
vhost("err-vhost-net-no-mode", "schema", "vhost-user interface without a mode",
      net("<source type='unix' path='/run/vm/net.sock'/>"))
vhost("err-vhost-net-model", "vhost-net-model", "vhost-user interface with an e1000 model",
      net(rest="<model type='e1000'/>"))
vhost("err-vhost-net-server-reconnect", "vhost-net-mode", "reconnect in server mode",
      net("<source type='unix' path='/run/vm/net.sock' mode='server'><reconnect enabled='yes' timeout='5'/></source>"))
vhost("err-vhost-net-multicast-mac", "schema", "a multicast MAC address",
      net(rest="<mac address='01:00:5e:00:00:01'/><model type='virtio'/>"))
vhost("err-vhost-net-rx-queue-size", "schema", "rx_queue_size not a power of two",
      net(rest="<model type='virtio'/><driver rx_queue_size='300'/>"))
vhost("err-vhost-net-queues-zero", "schema", "queues='0'", net(rest="<model type='virtio'/><driver queues='0'/>"))
vhost("err-vhost-boot-order-zero", "schema", "boot order 0", blk(rest="<boot order='0'/>"))
vhost("err-vhost-boot-order-twice", "vhost-boot-order", "two devices with boot order 1",
      fs(body="<source socket='/run/vm/fs.sock'/><target dir='share'/><boot order='1'/>"),
      blk(rest="<boot order='1'/>"))
vhost("err-vhost-fs-target-twice", "vhost-target-unique", "two filesystems with one tag",
      fs(), fs("<source socket='/run/vm/fs2.sock'/><target dir='share'/>"))
vhost("err-vhost-blk-target-twice", "vhost-target-unique", "two disks named vdb",
      blk(), blk(path="/run/vm/blk2.sock"))
vhost("err-vhost-fs-accessmode", "virtiofs-accessmode", "libvirt's virtiofsd with accessmode mapped",
      fs("<source dir='/srv'/><target dir='share'/>", extra=" accessmode='mapped'"))
vhost("valid-vhost-fs-socket-accessmode", "valid", "a daemon's virtiofs with accessmode mapped (the daemon decides)",
      fs(extra=" accessmode='mapped'"))
vhost("err-vhost-blk-driver-name", "schema", "a disk driver name with a space",
      blk(driver="<driver name='qemu x' type='raw'/>"))
vhost("err-vhost-blk-driver-tap", "schema", "a disk driver other than qemu", blk(driver="<driver name='tap' type='raw'/>"))
vhost("err-vhost-blk-format", "schema", "a disk driver type libvirt does not know",
      blk(driver="<driver name='qemu' type='zip'/>"))
vhost("valid-vhost-blk-qcow2", "valid", "a disk driver type qcow2", blk(driver="<driver name='qemu' type='qcow2'/>"))
vhost("err-vhost-blk-cdrom", "schema", "a vhost-user cdrom", blk(device="cdrom"))
vhost("err-vhost-blk-lun", "schema", "a vhost-user lun", blk(device="lun"))
vhost("err-vhost-blk-bus", "vhost-disk-bus", "a vhost-user disk on the scsi bus",
      blk(target="<target dev='sdb' bus='scsi'/>"))
vhost("err-vhost-blk-target-name", "schema", "a disk target that is no disk name",
      blk(target="<target dev='disk1' bus='virtio'/>"))
vhost("err-vhost-address-drive", "address-type", "a vhost-user disk at a drive address",
      blk(rest="<address type='drive' controller='0' bus='0' target='0' unit='1'/>"))
vhost("err-vhost-address-bus-form", "schema", "a PCI address bus that is not a number",
      fs(body="<source socket='/run/vm/fs.sock'/><target dir='share'/>"
              "<address type='pci' domain='0x0000' bus='0bus' slot='0x05' function='0x0'/>"))
vhost("err-vhost-alias-twice", "alias-unique", "a channel and a filesystem with one alias",
      fs(body="<source socket='/run/vm/fs.sock'/><target dir='share'/><alias name='ua-x'/>"),
      VIRTIO_SERIAL,
      chan("<source mode='bind' path='/run/vm/a.sock'/><target type='virtio' name='org.example.a'/>"
           "<alias name='ua-x'/>"))


def render(name, devices, spice, controller, raw):
    if raw is not None:
        return raw.replace("{name}", name).replace("{devices}", "")
    virtio = any(("type='virtio'" in d and ("<channel" in d or "<console" in d)) for d in devices)
    has_ctl = any("virtio-serial" in d and d.startswith("<controller") for d in devices)
    items = list(devices)
    if controller and virtio and not has_ctl:
        items.insert(0, VIRTIO_SERIAL)
    if spice:
        items.append(SPICE)
    text = "".join(f"    {d}\n" for d in items)
    return BASE.format(name=name, devices=text)


def main():
    if len(sys.argv) != 2:
        print("usage: make-corpus.py DIR", file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    names = set()
    manifest = ["# name\tintent\tdescription (written by make-corpus.py)\n"]
    for name, intent, desc, devices, spice, controller, raw in CASES:
        if name in names:
            print(f"make-corpus: duplicate case '{name}'", file=sys.stderr)
            return 1
        names.add(name)
        with open(os.path.join(out, name + ".xml"), "w") as f:
            f.write(render(name, devices, spice, controller, raw))
        manifest.append(f"{name}\t{intent}\t{desc}\n")
    for f in os.listdir(out):
        if f.endswith(".xml") and f[:-4] not in names:
            os.remove(os.path.join(out, f))
    with open(os.path.join(out, "manifest.tsv"), "w") as f:
        f.writelines(manifest)
    print(f"make-corpus: {len(CASES)} documents in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
