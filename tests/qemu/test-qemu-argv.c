/* Unit tests of the QEMU argument builder: the fragments for every
 * backend and front end, ids and ports, errors, escaping, shell quoting,
 * and a property loop showing that no value can add an option. */
#include "qemu-test-util.h"

#include "model/rules.h"
#include "qemu/qemu.h"
#include "spec/spec.h"
#include "util/buf.h"
#include "util/mem.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *join_lines(char *const *argv, size_t argc)
{
  vsc_buf b = { 0 };
  for (size_t i = 0; i < argc; i++) {
    vsc_buf_add(&b, argv[i]);
    vsc_buf_addc(&b, '\n');
  }
  return vsc_buf_steal(&b);
}

static char *diags_text(const vsc_diags *d)
{
  vsc_buf b = { 0 };
  for (size_t i = 0; i < d->n; i++) {
    vsc_buf_printf(&b, "%s [%s]\n", d->items[i].message, d->items[i].rule ? d->items[i].rule : "");
  }
  return vsc_buf_steal(&b);
}

/* spec → argv, compared line by line with expected. */
static void expect_argv_opts(const char *json, const vsc_qemu_opts *opts, const char *expected)
{
  vsc_diags d = { 0 };
  size_t argc = 0;
  char **argv = t_spec_argv(json, opts, &argc, &d);
  VSC_AUTOFREE(char) got = argv ? join_lines(argv, argc) : diags_text(&d);

  if (!argv || strcmp(got, expected) != 0)
    fprintf(stderr, "\nspec: %s\nexpected:\n%sgot:\n%s", json, expected, got);
  CU_ASSERT_PTR_NOT_NULL(argv);
  CU_ASSERT_STRING_EQUAL(got, expected);
  vsc_qemu_argv_free(argv, argc);
  vsc_diags_clear(&d);
}

static void expect_argv(const char *json, const char *expected)
{
  expect_argv_opts(json, NULL, expected);
}

/* spec → error whose messages contain every needle. */
static void expect_error(const char *json, const char *needle1, const char *needle2)
{
  vsc_diags d = { 0 };
  size_t argc = 0;
  char **argv = t_spec_argv(json, NULL, &argc, &d);
  VSC_AUTOFREE(char) text = diags_text(&d);
  bool ok = !argv && strstr(text, needle1) && (!needle2 || strstr(text, needle2));

  if (!ok)
    fprintf(stderr, "\nspec: %s\nwanted an error with '%s'%s%s%s, got:\n%s", json, needle1,
            needle2 ? " and '" : "", needle2 ? needle2 : "", needle2 ? "'" : "",
            argv ? "(arguments, no error)\n" : text);
  CU_ASSERT(ok);
  vsc_qemu_argv_free(argv, argc);
  vsc_diags_clear(&d);
}

/* spec → refused by the rule pass every front end runs before the
 * builder (the builder does not check these again), with needle in a
 * message. */
static void expect_refused(const char *json, const char *needle)
{
  vsc_diags d = { 0 };
  vsc_devset set;
  vsc_devset_init(&set);
  CU_ASSERT_EQUAL_FATAL(vsc_spec_parse(json, strlen(json), "test.json", &set, &d), 0);
  int rc = vsc_rules_require_clean(&set, NULL, &d);
  VSC_AUTOFREE(char) text = diags_text(&d);
  bool ok = rc < 0 && strstr(text, needle);

  if (!ok)
    fprintf(stderr, "\nspec: %s\nwanted the rules to refuse it with '%s', got:\n%s", json, needle, text);
  CU_ASSERT(ok);
  vsc_devset_clear(&set);
  vsc_diags_clear(&d);
}

#define CTRL "-device\nvirtio-serial-pci,id=vschan-vser0\n"

static void test_virtio_channels(void)
{
  expect_argv("{\"channels\":[{\"type\":\"unix\",\"source\":{\"mode\":\"bind\",\"path\":\"/tmp/a,b c.sock\"},"
              "\"target\":{\"type\":\"virtio\",\"name\":\"org.example.x\"}}]}",
              CTRL "-chardev\nsocket,id=vschan-org.example.x,path=/tmp/a,,b c.sock,server=on,wait=off\n"
              "-device\nvirtserialport,bus=vschan-vser0.0,nr=1,chardev=vschan-org.example.x,"
              "id=vschan-org.example.x,name=org.example.x\n");
  /* unix connect with reconnect; without mode it is connect, as in libvirt */
  expect_argv("{\"channels\":[{\"type\":\"unix\",\"source\":{\"mode\":\"connect\",\"path\":\"/p.sock\","
              "\"reconnect\":{\"enabled\":true,\"timeout\":10}},\"target\":{\"type\":\"virtio\",\"name\":\"a\"}},"
              "{\"type\":\"unix\",\"source\":{\"path\":\"/q.sock\",\"reconnect\":{\"enabled\":false}},"
              "\"target\":{\"type\":\"virtio\",\"name\":\"b\"}}]}",
              CTRL "-chardev\nsocket,id=vschan-a,path=/p.sock,reconnect=10\n"
              "-device\nvirtserialport,bus=vschan-vser0.0,nr=1,chardev=vschan-a,id=vschan-a,name=a\n"
              "-chardev\nsocket,id=vschan-b,path=/q.sock,reconnect=0\n"
              "-device\nvirtserialport,bus=vschan-vser0.0,nr=2,chardev=vschan-b,id=vschan-b,name=b\n");
  expect_argv("{\"channels\":[{\"type\":\"spicevmc\",\"target\":{\"type\":\"virtio\"}}]}",
              CTRL "-chardev\nspicevmc,id=vschan-channel,name=vdagent\n"
              "-device\nvirtserialport,bus=vschan-vser0.0,nr=1,chardev=vschan-channel,id=vschan-channel,"
              "name=com.redhat.spice.0\n");
  expect_argv("{\"channels\":[{\"type\":\"qemu-vdagent\",\"source\":{\"clipboard\":{\"copypaste\":true},"
              "\"mouse\":{\"mode\":\"client\"}},\"target\":{\"type\":\"virtio\",\"name\":\"com.redhat.spice.0\"}}]}",
              CTRL "-chardev\nqemu-vdagent,id=vschan-com.redhat.spice.0,name=vdagent,clipboard=on,mouse=on\n"
              "-device\nvirtserialport,bus=vschan-vser0.0,nr=1,chardev=vschan-com.redhat.spice.0,"
              "id=vschan-com.redhat.spice.0,name=com.redhat.spice.0\n");
  expect_argv("{\"channels\":[{\"type\":\"spiceport\",\"source\":{\"channel\":\"org.sp\"},"
              "\"target\":{\"type\":\"virtio\",\"name\":\"x\"}},"
              "{\"type\":\"dbus\",\"source\":{\"channel\":\"org.db\"},\"target\":{\"type\":\"virtio\",\"name\":\"y\"}}]}",
              CTRL "-chardev\nspiceport,id=vschan-x,name=org.sp\n"
              "-device\nvirtserialport,bus=vschan-vser0.0,nr=1,chardev=vschan-x,id=vschan-x,name=x\n"
              "-chardev\ndbus,id=vschan-y,name=org.db\n"
              "-device\nvirtserialport,bus=vschan-vser0.0,nr=2,chardev=vschan-y,id=vschan-y,name=y\n");
  /* udp: libvirt writes all four keys, empty where not given */
  expect_argv("{\"channels\":[{\"type\":\"udp\",\"source\":[{\"mode\":\"bind\",\"host\":\"0.0.0.0\",\"service\":\"9998\"},"
              "{\"mode\":\"connect\",\"host\":\"127.0.0.1\",\"service\":\"9999\"}],\"target\":{\"type\":\"virtio\",\"name\":\"u\"}},"
              "{\"type\":\"udp\",\"source\":{\"mode\":\"connect\",\"service\":\"9996\"},\"target\":{\"type\":\"virtio\",\"name\":\"v\"}}]}",
              CTRL "-chardev\nudp,id=vschan-u,host=127.0.0.1,port=9999,localaddr=0.0.0.0,localport=9998\n"
              "-device\nvirtserialport,bus=vschan-vser0.0,nr=1,chardev=vschan-u,id=vschan-u,name=u\n"
              "-chardev\nudp,id=vschan-v,host=,port=9996,localaddr=,localport=0\n"
              "-device\nvirtserialport,bus=vschan-vser0.0,nr=2,chardev=vschan-v,id=vschan-v,name=v\n");
}

static void test_consoles_and_serials(void)
{
  expect_argv("{\"consoles\":[{\"type\":\"pty\",\"target\":{\"type\":\"virtio\"}},"
              "{\"type\":\"pty\",\"target\":{\"type\":\"virtio\"}}]}",
              CTRL "-chardev\npty,id=vschan-console\n"
              "-device\nvirtconsole,bus=vschan-vser0.0,nr=0,chardev=vschan-console,id=vschan-console\n"
              "-chardev\npty,id=vschan-console-2\n"
              "-device\nvirtconsole,bus=vschan-vser0.0,nr=1,chardev=vschan-console-2,id=vschan-console-2\n");
  expect_argv("{\"serials\":[{\"type\":\"tcp\",\"source\":{\"mode\":\"bind\",\"host\":\"127.0.0.1\",\"service\":\"4555\"},"
              "\"protocol\":\"telnet\",\"target\":{\"port\":0}},"
              "{\"type\":\"tcp\",\"source\":{\"mode\":\"connect\",\"host\":\"192.0.2.1\",\"service\":\"4556\","
              "\"reconnect\":{\"enabled\":true,\"timeout\":5}},\"target\":{\"type\":\"isa-serial\",\"port\":1}}]}",
              "-chardev\nsocket,id=vschan-serial0,host=127.0.0.1,port=4555,telnet=on,server=on,wait=off\n"
              "-device\nisa-serial,chardev=vschan-serial0,id=vschan-serial0,index=0\n"
              "-chardev\nsocket,id=vschan-serial1,host=192.0.2.1,port=4556,reconnect=5\n"
              "-device\nisa-serial,chardev=vschan-serial1,id=vschan-serial1,index=1\n");
  expect_argv("{\"serials\":[{\"type\":\"file\",\"source\":{\"path\":\"/tmp/s.log\",\"append\":true},"
              "\"log\":{\"file\":\"/tmp/l,x.log\",\"append\":false},"
              "\"target\":{\"type\":\"pci-serial\"},\"address\":{\"type\":\"pci\",\"domain\":\"0\",\"bus\":\"2\","
              "\"slot\":\"0x1f\",\"function\":\"0\"},\"acpi\":{\"index\":3}},"
              "{\"type\":\"stdio\",\"target\":{\"type\":\"isa-debug\"},\"address\":{\"type\":\"isa\",\"iobase\":\"0x402\"}},"
              "{\"type\":\"vc\",\"target\":{\"type\":\"usb-serial\"}}]}",
              "-chardev\nfile,id=vschan-serial,path=/tmp/s.log,append=on,logfile=/tmp/l,,x.log,logappend=off\n"
              "-device\npci-serial,chardev=vschan-serial,id=vschan-serial,bus=pci.2,addr=0x1f,acpi-index=3\n"
              "-chardev\nstdio,id=vschan-serial-2\n"
              "-device\nisa-debugcon,chardev=vschan-serial-2,id=vschan-serial-2,iobase=0x402\n"
              "-chardev\nvc,id=vschan-serial-3\n"
              "-device\nusb-serial,chardev=vschan-serial-3,id=vschan-serial-3\n");
  expect_argv("{\"parallels\":[{\"type\":\"dev\",\"source\":{\"path\":\"/dev/parport0\"},\"target\":{\"port\":0}},"
              "{\"type\":\"pipe\",\"source\":{\"path\":\"/tmp/p\"}}],"
              "\"serials\":[{\"type\":\"dev\",\"source\":{\"path\":\"/dev/ttyS0\"},\"target\":{\"port\":2}}]}",
              "-chardev\nserial,id=vschan-serial2,path=/dev/ttyS0\n"
              "-device\nisa-serial,chardev=vschan-serial2,id=vschan-serial2,index=2\n"
              "-chardev\nparallel,id=vschan-parallel0,path=/dev/parport0\n"
              "-device\nisa-parallel,chardev=vschan-parallel0,id=vschan-parallel0,index=0\n"
              "-chardev\npipe,id=vschan-parallel,path=/tmp/p\n"
              "-device\nisa-parallel,chardev=vschan-parallel,id=vschan-parallel\n");
  /* the compat console: serial port 0 when alone, nothing next to a serial */
  expect_argv("{\"consoles\":[{\"type\":\"pty\"}]}",
              "-chardev\npty,id=vschan-console\n"
              "-device\nisa-serial,chardev=vschan-console,id=vschan-console,index=0\n");
  expect_argv("{\"consoles\":[{\"type\":\"pty\",\"target\":{\"type\":\"serial\",\"port\":0}}],"
              "\"serials\":[{\"type\":\"pty\",\"target\":{\"port\":0}}]}",
              "-chardev\npty,id=vschan-serial0\n"
              "-device\nisa-serial,chardev=vschan-serial0,id=vschan-serial0,index=0\n");
}

static void test_guestfwd_and_aliases(void)
{
  expect_argv("{\"channels\":[{\"type\":\"unix\",\"source\":{\"mode\":\"bind\",\"path\":\"/g.sock\"},"
              "\"target\":{\"type\":\"guestfwd\",\"address\":\"10.0.2.1\",\"port\":4600}},"
              "{\"type\":\"tcp\",\"source\":{\"mode\":\"connect\",\"host\":\"127.0.0.1\",\"service\":\"8080\"},"
              "\"alias\":\"ua-web\",\"target\":{\"type\":\"guestfwd\",\"address\":\"10.0.2.2\",\"port\":4601}}]}",
              "-chardev\nsocket,id=vschan-guestfwd-10.0.2.1-4600,path=/g.sock,server=on,wait=off\n"
              "-netdev\nuser,id=vschan-guestfwd-10.0.2.1-4600,guestfwd=tcp:10.0.2.1:4600-chardev:"
              "vschan-guestfwd-10.0.2.1-4600\n"
              "-chardev\nsocket,id=vschan-web,host=127.0.0.1,port=8080\n"
              "-netdev\nuser,id=vschan-web,guestfwd=tcp:10.0.2.2:4601-chardev:vschan-web\n");
  /* ids: sanitised, unique, never the controller's */
  expect_argv("{\"channels\":[{\"type\":\"pty\",\"target\":{\"type\":\"virtio\",\"name\":\"my chan/1\"}},"
              "{\"type\":\"pty\",\"target\":{\"type\":\"virtio\",\"name\":\"my chan:1\"}},"
              "{\"type\":\"pty\",\"target\":{\"type\":\"virtio\",\"name\":\"vser0\"}}]}",
              CTRL "-chardev\npty,id=vschan-my_chan_1\n"
              "-device\nvirtserialport,bus=vschan-vser0.0,nr=1,chardev=vschan-my_chan_1,id=vschan-my_chan_1,"
              "name=my chan/1\n"
              "-chardev\npty,id=vschan-my_chan_1-2\n"
              "-device\nvirtserialport,bus=vschan-vser0.0,nr=2,chardev=vschan-my_chan_1-2,id=vschan-my_chan_1-2,"
              "name=my chan:1\n"
              "-chardev\npty,id=vschan-vser0-2\n"
              "-device\nvirtserialport,bus=vschan-vser0.0,nr=3,chardev=vschan-vser0-2,id=vschan-vser0-2,"
              "name=vser0\n");
}

static void test_ports(void)
{
  /* explicit ports are kept; a channel's port 0 means "pick one" */
  expect_argv("{\"channels\":[{\"type\":\"pty\",\"target\":{\"type\":\"virtio\",\"name\":\"a\"},"
              "\"address\":{\"type\":\"virtio-serial\",\"controller\":\"0\",\"bus\":\"0\",\"port\":\"1\"}},"
              "{\"type\":\"pty\",\"target\":{\"type\":\"virtio\",\"name\":\"b\"}},"
              "{\"type\":\"pty\",\"target\":{\"type\":\"virtio\",\"name\":\"c\"},"
              "\"address\":{\"type\":\"virtio-serial\",\"port\":\"0\"}}],"
              "\"consoles\":[{\"type\":\"pty\",\"target\":{\"type\":\"virtio\"},"
              "\"address\":{\"type\":\"virtio-serial\",\"port\":\"3\"}},"
              "{\"type\":\"pty\",\"target\":{\"type\":\"virtio\"}}],"
              "\"controller\":{\"ports\":8,\"vectors\":4}}",
              "-device\nvirtio-serial-pci,id=vschan-vser0,max_ports=8,vectors=4\n"
              "-chardev\npty,id=vschan-a\n"
              "-device\nvirtserialport,bus=vschan-vser0.0,nr=1,chardev=vschan-a,id=vschan-a,name=a\n"
              "-chardev\npty,id=vschan-b\n"
              "-device\nvirtserialport,bus=vschan-vser0.0,nr=2,chardev=vschan-b,id=vschan-b,name=b\n"
              "-chardev\npty,id=vschan-c\n"
              "-device\nvirtserialport,bus=vschan-vser0.0,nr=4,chardev=vschan-c,id=vschan-c,name=c\n"
              "-chardev\npty,id=vschan-console\n"
              "-device\nvirtconsole,bus=vschan-vser0.0,nr=3,chardev=vschan-console,id=vschan-console\n"
              "-chardev\npty,id=vschan-console-2\n"
              "-device\nvirtconsole,bus=vschan-vser0.0,nr=0,chardev=vschan-console-2,id=vschan-console-2\n");
  expect_error("{\"channels\":[{\"type\":\"pty\",\"target\":{\"type\":\"virtio\",\"name\":\"a\"},"
               "\"address\":{\"type\":\"virtio-serial\",\"port\":\"2\"}},"
               "{\"type\":\"pty\",\"target\":{\"type\":\"virtio\",\"name\":\"b\"},"
               "\"address\":{\"type\":\"virtio-serial\",\"port\":\"2\"}}]}",
               "channel 'b': virtio-serial port 2 is already taken by channel 'a'", NULL);
  expect_error("{\"channels\":[{\"type\":\"pty\",\"target\":{\"type\":\"virtio\",\"name\":\"a\"}},"
               "{\"type\":\"pty\",\"target\":{\"type\":\"virtio\",\"name\":\"b\"}},"
               "{\"type\":\"pty\",\"target\":{\"type\":\"virtio\",\"name\":\"c\"}}],\"controller\":{\"ports\":3}}",
               "channel 'c': no free virtio-serial port", NULL);
  expect_error("{\"channels\":[{\"type\":\"pty\",\"target\":{\"type\":\"virtio\",\"name\":\"a\"},"
               "\"address\":{\"type\":\"virtio-serial\",\"controller\":\"1\"}}]}",
               "address controller '1' does not exist", NULL);
  expect_refused("{\"channels\":[{\"type\":\"pty\",\"target\":{\"type\":\"virtio\",\"name\":\"a\"}},"
                 "{\"type\":\"pty\",\"target\":{\"type\":\"virtio\",\"name\":\"a\"}}]}",
                 "the port name 'a' is used twice");
}

static void test_errors(void)
{
  expect_error("{\"channels\":[{\"type\":\"unix\",\"source\":{\"mode\":\"bind\",\"path\":\"/tmp/a\\nb\"},"
               "\"target\":{\"type\":\"virtio\",\"name\":\"org.x\"}}]}",
               "channel 'org.x': source path contains a newline", "[qemu-value]");
  expect_error("{\"channels\":[{\"type\":\"pty\",\"target\":{\"type\":\"virtio\",\"name\":\"a\\tb\"}}]}",
               "target name contains a control character", NULL);
  /* Characters XML cannot carry are refused by the spec reader already. */
  expect_error("{\"serials\":[{\"type\":\"file\",\"source\":{\"path\":\"/x\"},\"log\":{\"file\":\"/l\\u0001\"}}]}",
               "the value holds U+0001, which XML cannot carry", NULL);
  expect_error("{\"serials\":[{\"type\":\"tcp\",\"source\":{\"mode\":\"bind\",\"service\":\"1\"}}]}",
               "source host is missing", NULL);
  expect_error("{\"serials\":[{\"type\":\"pty\",\"target\":{\"port\":4}}]}",
               "ISA serial port 4 does not exist", NULL);
  expect_error("{\"parallels\":[{\"type\":\"pty\",\"target\":{\"port\":3}}]}", "parallel port 3 does not exist",
               NULL);
  expect_error("{\"channels\":[{\"type\":\"unix\",\"source\":{\"mode\":\"bind\"},"
               "\"target\":{\"type\":\"virtio\",\"name\":\"org.qemu.guest_agent.0\"}}]}",
               "source path is missing", NULL);
  /* What the rule pass refuses before any generator runs: the builder
   * does not check it again. */
  expect_refused("{\"serials\":[{\"type\":\"tcp\",\"source\":{\"mode\":\"bind\",\"host\":\"h\",\"service\":\"1\","
                 "\"reconnect\":{\"enabled\":true,\"timeout\":3}}}]}",
                 "chardev reconnect is possible only for connect mode");
  expect_refused("{\"serials\":[{\"type\":\"nmdm\",\"source\":{\"master\":\"/dev/nmdm0A\",\"slave\":\"/dev/nmdm0B\"}}]}",
                 "unsupported chardev 'nmdm'");
  expect_refused("{\"serials\":[{\"type\":\"pty\"},{\"type\":\"pty\"},{\"type\":\"pty\"},{\"type\":\"pty\"},"
                 "{\"type\":\"pty\"}]}",
                 "more than 4 ISA serial ports");
  expect_refused("{\"serials\":[{\"type\":\"pty\",\"target\":{\"port\":1}},{\"type\":\"pty\",\"target\":{\"port\":1}}]}",
                 "serial target port 1 is used twice");
  expect_refused("{\"channels\":[{\"type\":\"pty\",\"target\":{\"type\":\"guestfwd\",\"address\":\"fe80::1\",\"port\":1}}]}",
                 "guestfwd channel only supports IPv4 addresses");
  expect_refused("{\"channels\":[{\"type\":\"pty\",\"target\":{\"type\":\"xen\",\"name\":\"x\"}}]}",
                 "a xen channel target does not work on QEMU");
  expect_refused("{\"serials\":[{\"type\":\"pty\",\"target\":{\"type\":\"system-serial\"}}]}",
                 "target type 'system-serial' is for ARM and RISC-V machines");
  expect_refused("{\"serials\":[{\"type\":\"pty\",\"target\":{\"type\":\"pci-serial\",\"model\":\"usb-serial\"}}]}",
                 "target model 'usb-serial' does not belong to target type 'pci-serial'");
  expect_refused("{\"channels\":[{\"type\":\"spicevmc\",\"target\":{\"type\":\"virtio\",\"name\":\"org.foo\"}}]}",
                 "unsupported spicevmc target name 'org.foo'");
  /* several problems are all reported */
  expect_error("{\"channels\":[{\"type\":\"file\",\"source\":{\"path\":\"/a\\nb\"},\"target\":{\"type\":\"virtio\",\"name\":\"x\"}},"
               "{\"type\":\"dbus\",\"source\":{\"channel\":\"y\\rz\"},\"target\":{\"type\":\"virtio\",\"name\":\"y\"}}]}",
               "channel 'x': source path contains a newline", "channel 'y': source channel contains a");
}

static void test_opts(void)
{
  vsc_qemu_opts o = { .id_prefix = "pve.", .controller_bus = "pci.2", .controller_addr = "0x1f",
                      .socket_dir = "/run/qemu-server/100,x" };
  vsc_diags d = { 0 };
  size_t argc;
  char **argv;

  expect_argv_opts("{\"channels\":[{\"type\":\"unix\",\"source\":{\"mode\":\"bind\"},"
                   "\"target\":{\"type\":\"virtio\",\"name\":\"org.qemu.guest_agent.0\"}}]}",
                   &o,
                   "-device\nvirtio-serial-pci,id=pve.vser0,bus=pci.2,addr=0x1f\n"
                   "-chardev\nsocket,id=pve.org.qemu.guest_agent.0,"
                   "path=/run/qemu-server/100,,x/org.qemu.guest_agent.0,server=on,wait=off\n"
                   "-device\nvirtserialport,bus=pve.vser0.0,nr=1,chardev=pve.org.qemu.guest_agent.0,"
                   "id=pve.org.qemu.guest_agent.0,name=org.qemu.guest_agent.0\n");
  const char *bad[][3] = { { "1x-", NULL, NULL }, { "a,b", NULL, NULL }, { NULL, "pci.0,x=1", NULL },
                           { NULL, NULL, "0x1f,x=1" }, { "", NULL, NULL } };
  for (size_t i = 0; i < VSC_N_ELEMENTS(bad); i++) {
    vsc_qemu_opts b = { .id_prefix = bad[i][0], .controller_bus = bad[i][1],
                        .controller_addr = bad[i][2] };
    argv = t_spec_argv("{\"consoles\":[{\"type\":\"pty\",\"target\":{\"type\":\"virtio\"}}]}", &b, &argc, &d);
    CU_ASSERT_PTR_NULL(argv);
    CU_ASSERT(vsc_diags_has_errors(&d));
    vsc_diags_clear(&d);
  }
  /* an empty set gives no arguments at all, not even a controller */
  argv = t_spec_argv("{}", NULL, &argc, &d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(argv);
  CU_ASSERT_EQUAL(argc, 0);
  CU_ASSERT_PTR_NULL(argv[0]);
  vsc_qemu_argv_free(argv, argc);
}

/* QEMU 9.2 renamed reconnect (seconds) to reconnect-ms; before it only the
 * old name exists, so the version decides. */
static void test_qemu_version(void)
{
  static const char reconnect_spec[] =
    "{\"channels\":[{\"type\":\"unix\",\"source\":{\"mode\":\"connect\",\"path\":\"/p.sock\","
    "\"reconnect\":{\"enabled\":true,\"timeout\":10}},\"target\":{\"type\":\"virtio\",\"name\":\"a\"}},"
    "{\"type\":\"tcp\",\"source\":{\"mode\":\"connect\",\"host\":\"h\",\"service\":1,"
    "\"reconnect\":{\"enabled\":false}},\"target\":{\"type\":\"virtio\",\"name\":\"b\"}}]}";
  static const struct {
    const char *version;
    const char *a, *b;
  } cases[] = {
    { "9.1", "reconnect=10", "reconnect=0" },
    { "9.2", "reconnect-ms=10000", "reconnect-ms=0" },
    { "9.2.4", "reconnect-ms=10000", "reconnect-ms=0" },
    { "10.0", "reconnect-ms=10000", "reconnect-ms=0" },
    { "7.2.22", "reconnect=10", "reconnect=0" },
  };
  for (size_t i = 0; i < VSC_N_ELEMENTS(cases); i++) {
    vsc_qemu_opts o = { 0 };
    CU_ASSERT_EQUAL_FATAL(vsc_qemu_version_parse(cases[i].version, &o.qemu_version), 0);
    VSC_AUTOFREE(char) expected = vsc_asprintf(
      CTRL "-chardev\nsocket,id=vschan-a,path=/p.sock,%s\n"
      "-device\nvirtserialport,bus=vschan-vser0.0,nr=1,chardev=vschan-a,id=vschan-a,name=a\n"
      "-chardev\nsocket,id=vschan-b,host=h,port=1,%s\n"
      "-device\nvirtserialport,bus=vschan-vser0.0,nr=2,chardev=vschan-b,id=vschan-b,name=b\n",
      cases[i].a, cases[i].b);
    expect_argv_opts(reconnect_spec, &o, expected);
  }
  unsigned v = 0;
  CU_ASSERT_EQUAL(vsc_qemu_version_parse("9.2", &v), 0);
  CU_ASSERT_EQUAL(v, VSC_QEMU_VERSION(9, 2));
  CU_ASSERT(VSC_QEMU_VERSION(10, 0) > VSC_QEMU_VERSION(9, 2));
  const char *bad[] = { "9", "9.", ".2", "9.2.", "9.2.0.1", "v9.2", "9.2x", "-9.2", "", "9,2", "1234.1" };
  for (size_t i = 0; i < VSC_N_ELEMENTS(bad); i++) {
    if (vsc_qemu_version_parse(bad[i], &v) == 0) {
      fprintf(stderr, "\nqemu version '%s' was accepted\n", bad[i]);
      CU_FAIL("bad version accepted");
    }
  }
}

/* An explicit PCI address: the root bus is pcie.0 on q35, pci.0 elsewhere. */
static void test_machine_root_bus(void)
{
  static const char spec[] =
    "{\"serials\":[{\"type\":\"null\",\"target\":{\"type\":\"pci-serial\"},"
    "\"address\":{\"type\":\"pci\",\"bus\":\"0\",\"slot\":\"0x0a\"}},"
    "{\"type\":\"null\",\"target\":{\"type\":\"pci-serial\"},"
    "\"address\":{\"type\":\"pci\",\"bus\":\"0x02\",\"slot\":\"0x01\"}}]}";
  static const struct {
    const char *machine, *root;
  } cases[] = { { NULL, "pci.0" }, { "pc", "pci.0" }, { "pc-i440fx-7.2", "pci.0" },
                { "q35", "pcie.0" }, { "pc-q35-7.2", "pcie.0" } };
  for (size_t i = 0; i < VSC_N_ELEMENTS(cases); i++) {
    vsc_qemu_opts o = { .machine = cases[i].machine };
    VSC_AUTOFREE(char) expected = vsc_asprintf(
      "-chardev\nnull,id=vschan-serial\n"
      "-device\npci-serial,chardev=vschan-serial,id=vschan-serial,bus=%s,addr=0xa\n"
      "-chardev\nnull,id=vschan-serial-2\n"
      "-device\npci-serial,chardev=vschan-serial-2,id=vschan-serial-2,bus=pci.2,addr=0x1\n",
      cases[i].root);
    expect_argv_opts(spec, &o, expected);
  }
}

static void test_escape_and_values(void)
{
  VSC_AUTOFREE(char) a = vsc_qemu_escape_value("a,b,,c,");
  VSC_AUTOFREE(char) e = vsc_qemu_escape_value("");
  CU_ASSERT_STRING_EQUAL(a, "a,,b,,,,c,,");
  CU_ASSERT_STRING_EQUAL(e, "");

  CU_ASSERT_PTR_NULL(vsc_qemu_value_problem("/tmp/a b,c'd\"e=f\\g"));
  CU_ASSERT_PTR_NULL(vsc_qemu_value_problem("gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80"));
  CU_ASSERT_STRING_EQUAL(vsc_qemu_value_problem("a\nb"), "contains a newline");
  CU_ASSERT_STRING_EQUAL(vsc_qemu_value_problem("a\rb"), "contains a control character");
  CU_ASSERT_STRING_EQUAL(vsc_qemu_value_problem("a\x7f"), "contains a control character");
  CU_ASSERT_STRING_EQUAL(vsc_qemu_value_problem("\xff"), "is not valid UTF-8");
  CU_ASSERT_STRING_EQUAL(vsc_qemu_value_problem("\xc0\xaf"), "is not valid UTF-8");     /* overlong '/' */
  CU_ASSERT_STRING_EQUAL(vsc_qemu_value_problem("\xed\xa0\x80"), "is not valid UTF-8"); /* surrogate */
  CU_ASSERT_STRING_EQUAL(vsc_qemu_value_problem("\xc3"), "is not valid UTF-8");         /* truncated */
  CU_ASSERT_STRING_EQUAL(vsc_qemu_value_problem("\xf4\x90\x80\x80"), "is not valid UTF-8");

  CU_ASSERT(vsc_qemu_id_valid("vschan-a.b_c-1"));
  CU_ASSERT(!vsc_qemu_id_valid("1a"));
  CU_ASSERT(!vsc_qemu_id_valid("-a"));
  CU_ASSERT(!vsc_qemu_id_valid("a,b"));
  CU_ASSERT(!vsc_qemu_id_valid(""));
}

static bool same_words(char *const *a, size_t na, char *const *b, size_t nb)
{
  if (na != nb)
    return false;
  for (size_t i = 0; i < na; i++)
    if (strcmp(a[i], b[i]) != 0)
      return false;
  return true;
}

/* The shell line splits back into argv, with sh and with shellwords. */
static void check_shell_round_trip(char *const *argv, size_t n)
{
  VSC_AUTOFREE(char) line = vsc_qemu_argv_to_shell(argv, n);
  size_t nsh = 0, npl = 0;
  char **sh = t_split_sh(line, &nsh);
  char **pl = t_split_shellwords(line, &npl);

  CU_ASSERT_PTR_NOT_NULL(sh);
  CU_ASSERT_PTR_NOT_NULL(pl);
  CU_ASSERT(sh && same_words(argv, n, sh, nsh));
  CU_ASSERT(pl && same_words(argv, n, pl, npl));
  /* Proxmox strips a value that starts and ends with '"' */
  CU_ASSERT(!(line[0] == '"' && line[strlen(line) - 1] == '"'));
  if (sh && !same_words(argv, n, sh, nsh))
    fprintf(stderr, "\nsh round trip failed for: %s\n", line);
  if (pl && !same_words(argv, n, pl, npl))
    fprintf(stderr, "\nshellwords round trip failed for: %s\n", line);
  t_strv_free(sh);
  t_strv_free(pl);
}

static void test_shell(void)
{
  char *words[] = { "-chardev", "socket,id=a,path=/tmp/a,,b c.sock", "it's", "\"q\"", "back\\slash",
                    "\\'", "'", "\\\\", "$HOME", "`x`", "a*b", "#c", "~u", "x;y", "\xc3\xa9",
                    "tab\there", "-" };
  size_t n = VSC_N_ELEMENTS(words);
  VSC_AUTOFREE(char) line = vsc_qemu_argv_to_shell(words, 2);
  vsc_diags d = { 0 };

  CU_ASSERT_STRING_EQUAL(line, "-chardev 'socket,id=a,path=/tmp/a,,b c.sock'");
  check_shell_round_trip(words, n);

  VSC_AUTOFREE(char) lines = vsc_qemu_argv_to_lines(words, 3, &d);
  CU_ASSERT_STRING_EQUAL(lines, "-chardev\nsocket,id=a,path=/tmp/a,,b c.sock\nit's\n");
  char *nl[] = { "a", "b\nc" };
  CU_ASSERT_PTR_NULL(vsc_qemu_argv_to_lines(nl, 2, &d));
  CU_ASSERT(vsc_diags_has_errors(&d));
  CU_ASSERT_PTR_NOT_NULL(strstr(d.items[0].message, "argument 2 contains a newline"));
  vsc_diags_clear(&d);
}

/* ---- the property loop ---- */

static unsigned int rng_state = 12345;
static unsigned int rnd(unsigned int n)
{
  rng_state = rng_state * 1103515245u + 12345u;
  return (rng_state >> 8) % n;
}

/* A value built from the characters that matter to QEMU and to shells,
 * now and then long. */
static char *random_value(bool allow_bad)
{
  static const char *const pieces[] = { ",", ",,", "=", "'", "\"", " ", "\\", "/", "a", "Z", "9",
                                        ".", "-", "_", ":", "id=x", ",server=on", "path=",
                                        "$(x)", "`", ";", "\xc3\xa9", "\xe2\x82\xac", "*", "#", "~" };
  vsc_buf b = { 0 };
  unsigned int len = rnd(10) == 0 ? 200 + rnd(3000) : 1 + rnd(24);

  vsc_buf_addc(&b, '/');
  for (unsigned int i = 0; i < len; i++)
    vsc_buf_add(&b, pieces[rnd(VSC_N_ELEMENTS(pieces))]);
  if (allow_bad && rnd(8) == 0) {
    static const char *const bad[] = { "\n", "\r", "\t", "\x01", "\x7f", "\xff", "\xc3" };
    size_t at = rnd((unsigned int)b.len);
    VSC_AUTOFREE(char) tail = vsc_strdup(b.data + at);
    b.len = at;
    b.data[at] = '\0';
    vsc_buf_add(&b, bad[rnd(VSC_N_ELEMENTS(bad))]);
    vsc_buf_add(&b, tail);
  }
  return vsc_buf_steal(&b);
}

/* Parse arg as QEMU would and check its keys and the values that came
 * from the model. */
static bool check_option(const char *arg, const char *implied, const char *keys,
                         const char *key, const char *value)
{
  t_opts o = { 0 };
  t_qemu_opts_parse(arg, implied, &o);
  VSC_AUTOFREE(char) got = t_opts_keys(&o);
  const char *v = key ? t_opts_get(&o, key) : NULL;
  bool ok = strcmp(got, keys) == 0 && (!key || (v && strcmp(v, value) == 0));

  if (!ok)
    fprintf(stderr, "\ninjection: '%s' parsed to keys %s (wanted %s)\n", arg, got, keys);
  t_opts_clear(&o);
  return ok;
}

static void test_injection_property(void)
{
  enum { ROUNDS = 3000 };
  size_t accepted = 0, rejected = 0;
  char **all = NULL;
  size_t nall = 0;

  for (unsigned int round = 0; round < ROUNDS; round++) {
    VSC_AUTOFREE(char) path = random_value(true);
    VSC_AUTOFREE(char) name = random_value(true);
    VSC_AUTOFREE(char) logfile = random_value(true);
    VSC_AUTOFREE(char) host = random_value(true);
    VSC_AUTOFREE(char) channel = random_value(true);
    vsc_devset set;
    vsc_diags d = { 0 };
    char **argv;
    size_t argc;

    vsc_devset_init(&set);
    /* a unix channel with a log, a tcp serial, a spiceport channel */
    vsc_chardev *c = vsc_chardev_new(VSC_KIND_CHANNEL);
    c->has_backend = true;
    c->backend = VSC_BACKEND_UNIX;
    vsc_source *s = vsc_chardev_add_source(c);
    s->mode = VSC_MODE_BIND;
    s->path = vsc_strdup(path);
    c->has_target = true;
    c->target.type = VSC_TARGET_VIRTIO;
    c->target.name = vsc_strdup(name);
    c->log_file = vsc_strdup(logfile);
    vsc_devset_add(&set, c);

    vsc_chardev *t = vsc_chardev_new(VSC_KIND_SERIAL);
    t->has_backend = true;
    t->backend = VSC_BACKEND_TCP;
    s = vsc_chardev_add_source(t);
    s->mode = VSC_MODE_CONNECT;
    s->host = vsc_strdup(host);
    s->service = vsc_strdup(name);
    vsc_devset_add(&set, t);

    vsc_chardev *p = vsc_chardev_new(VSC_KIND_CHANNEL);
    p->has_backend = true;
    p->backend = VSC_BACKEND_SPICEPORT;
    s = vsc_chardev_add_source(p);
    s->channel = vsc_strdup(channel);
    p->has_target = true;
    p->target.type = VSC_TARGET_VIRTIO;
    p->target.name = vsc_strdup("org.p");
    vsc_devset_add(&set, p);

    bool bad = vsc_qemu_value_problem(path) || vsc_qemu_value_problem(name) ||
               vsc_qemu_value_problem(logfile) || vsc_qemu_value_problem(host) ||
               vsc_qemu_value_problem(channel);
    int rc = vsc_qemu_build_argv(&set, NULL, &argv, &argc, &d);
    if (bad) {
      CU_ASSERT_EQUAL(rc, -1);
      CU_ASSERT(vsc_diags_has_errors(&d));
      rejected++;
    } else if (rc != 0) {
      CU_FAIL("a valid value was refused");
    } else {
      accepted++;
      CU_ASSERT_EQUAL_FATAL(argc, 14);
      CU_ASSERT(check_option(argv[1], "driver", "driver,id", NULL, NULL));
      CU_ASSERT(check_option(argv[3], "backend", "backend,id,path,server,wait,logfile", "path", path));
      CU_ASSERT(check_option(argv[3], "backend", "backend,id,path,server,wait,logfile", "logfile",
                             logfile));
      CU_ASSERT(check_option(argv[5], "driver", "driver,bus,nr,chardev,id,name", "name", name));
      CU_ASSERT(check_option(argv[7], "backend", "backend,id,host,port", "host", host));
      CU_ASSERT(check_option(argv[7], "backend", "backend,id,host,port", "port", name));
      CU_ASSERT(check_option(argv[9], "driver", "driver,chardev,id", NULL, NULL));
      CU_ASSERT(check_option(argv[11], "backend", "backend,id,name", "name", channel));
      CU_ASSERT(check_option(argv[13], "driver", "driver,bus,nr,chardev,id,name", "name", "org.p"));
      /* keep some for one shell round trip over all of them */
      if (round % 4 == 0)
        for (size_t i = 0; i < argc; i++)
          *(char **)vsc_append(&all, &nall, sizeof(char *)) = vsc_strdup(argv[i]);
      vsc_qemu_argv_free(argv, argc);
    }
    vsc_diags_clear(&d);
    vsc_devset_clear(&set);
  }
  CU_ASSERT(accepted > ROUNDS / 4);
  CU_ASSERT(rejected > ROUNDS / 10);
  check_shell_round_trip(all, nall);
  for (size_t i = 0; i < nall; i++)
    free(all[i]);
  free(all);
}

int main(void)
{
  vsc_mem_init();
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite s = CU_add_suite("qemu-argv", NULL, NULL);
  CU_add_test(s, "virtio channels", test_virtio_channels);
  CU_add_test(s, "consoles and serials", test_consoles_and_serials);
  CU_add_test(s, "guestfwd and ids", test_guestfwd_and_aliases);
  CU_add_test(s, "virtio ports", test_ports);
  CU_add_test(s, "errors", test_errors);
  CU_add_test(s, "options", test_opts);
  CU_add_test(s, "qemu version", test_qemu_version);
  CU_add_test(s, "machine root bus", test_machine_root_bus);
  CU_add_test(s, "escaping and values", test_escape_and_values);
  CU_add_test(s, "shell quoting", test_shell);
  CU_add_test(s, "no value adds an option", test_injection_property);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned int failed = CU_get_number_of_failures();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
