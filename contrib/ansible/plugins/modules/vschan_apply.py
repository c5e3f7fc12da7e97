#!/usr/bin/python
# -*- coding: utf-8 -*-
# vschan_apply: converge the character devices of libvirt domains to a spec
# by running `vschan apply --json` and reading the one JSON document it prints.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: vschan_apply
short_description: Converge the character devices of libvirt/QEMU domains to a vschan spec
description:
  - Runs C(vschan apply --json) so that the virtio-serial channels, consoles,
    serial and parallel ports of one or many libvirt domains match a spec.
  - vschan compares the devices after taking away what libvirt adds by itself,
    so a second run of the same spec changes nothing and reports C(changed=false).
  - Each domain is converged as one transaction; on a failure vschan puts the
    domain back as it was.
  - Select the domains with I(domain) (one domain), I(domains) and I(tagged)
    (patterns and tags, on every I(uri)), or I(fleet) (a fleet file naming hosts,
    domains and specs).
  - The spec comes from I(spec), I(spec_content) or I(template); a fleet file
    names its own specs.
version_added: "0.1.0"
author:
  - vschan contributors
requirements:
  - vschan (a version with C(apply --domains) and C(--fleet)) on the managed node
  - libvirt reachable from the managed node through each I(uri)
attributes:
  check_mode:
    support: full
    description: Runs vschan with C(--dry-run); C(changed) says whether any domain would change.
  diff_mode:
    support: full
    description: Returns the plan of each domain as C(diff.prepared).
options:
  domain:
    description:
      - One domain, by name (vschan's single-domain form).
      - Takes at most one I(uri). Mutually exclusive with I(domains), I(tagged) and I(fleet).
    type: str
  domains:
    description:
      - Domain names or glob patterns (C(web-*)), looked up on every I(uri).
    type: list
    elements: str
  tagged:
    description:
      - Also the domains that carry one of these tags (see I(tag)), on every I(uri).
    type: list
    elements: str
  uri:
    description:
      - libvirt connection URIs, each passed as C(-c URI). Without one, vschan
        uses libvirt's default connection.
    type: list
    elements: str
  fleet:
    description:
      - A fleet file (JSON) naming the hosts, their domains and specs.
      - Excludes I(domain), I(domains), I(tagged), I(uri) and any spec option.
    type: path
  spec:
    description:
      - A spec file (JSON) on the managed node.
    type: path
  spec_content:
    description:
      - The spec itself. It is written to a private temporary file
        (mode 0600) for vschan and removed afterwards.
    type: dict
  template:
    description:
      - A template shipped with vschan (C(vschan template list)), such as C(guest-agent).
    type: str
  template_set:
    description:
      - The template's parameters, each passed as C(--set KEY=VALUE).
    type: dict
  prune:
    description:
      - Also remove devices vschan manages (alias C(ua-vschan-*)) that the spec no longer lists.
    type: bool
    default: false
  tag:
    description:
      - Record this tag in the metadata of each converged domain, for I(tagged) and fleet files.
      - A tag added to a domain that needed no other change counts as a change.
    type: str
  parallel:
    description:
      - Domains worked on at once per host, 1 to 16 (default is twice the host's CPUs).
    type: int
  affect:
    description:
      - Which definitions to converge. By default, the live one if the domain
        runs, and the persistent one.
    type: str
    choices: [live, config, persistent, current]
  timeout:
    description:
      - Seconds to wait for each unplug (vschan's default is 10).
    type: int
  vschan:
    description:
      - Path of the vschan binary. By default, C(vschan) is searched on C(PATH).
    type: path
notes:
  - vschan's exit status decides success; when it is not 0 the task fails with
    vschan's messages and hints in C(msg), and still returns what vschan reported.
  - In check mode C(changed) says what the real run would change, tags
    included; what the real run would refuse fails the task in check mode too.
seealso:
  - module: vschan.libvirt.vschan_validate
'''

EXAMPLES = r'''
- name: The guest agent channel on every web domain, and tag them
  vschan.libvirt.vschan_apply:
    uri: [qemu:///system]
    domains: ['web-*']
    template: guest-agent
    tag: agent

- name: An application channel on one domain, from an inline spec
  vschan.libvirt.vschan_apply:
    domain: db1
    spec_content:
      channels:
        - type: unix
          source: {mode: bind, path: /run/app/db1.sock}
          target: {type: virtio, name: org.example.app.0}
    prune: true

- name: A template with parameters, persistent definition only
  vschan.libvirt.vschan_apply:
    domain: vm1
    template: app-channel
    template_set:
      name: org.example.metrics.0
      path: /run/metrics/vm1.sock
    affect: config

- name: Many hosts at once from a fleet file, showing the plan first
  vschan.libvirt.vschan_apply:
    fleet: /etc/vschan/fleet.json
  check_mode: true
  diff: true
  register: plan

- name: What would change
  ansible.builtin.debug:
    var: plan.summary
'''

RETURN = r'''
result:
  description:
    - The JSON document vschan printed. For I(domain), one record
      C({domain, live, persistent, dry_run, plan, result}); otherwise
      C({dry_run, domains, hosts, summary}), each domain record with C(uri),
      C(spec), C(changed), C(tag_added) and C(errors) too.
    - Empty when vschan printed no document (a spec or usage error).
  returned: always
  type: dict
  sample:
    dry_run: false
    domains:
      - domain: web-1
        live: true
        persistent: true
        dry_run: false
        plan:
          - {kind: channel, alias: ua-vschan-org-qemu-guest_agent-0, device: "channel 'ua-vschan-org-qemu-guest_agent-0'",
             live: true, persistent: true, action: add, why: null}
        result: applied
        uri: qemu:///system
        spec: /etc/vschan/agent.json
        changed: true
        tag_added: false
        errors: []
    hosts:
      - {uri: qemu:///system, actual_uri: qemu:///system, reachable: true, parallel: 4, domains: 1, errors: [], warnings: []}
    summary: {hosts: 1, unreachable: 0, domains: 1, applied: 1, unchanged: 0, planned: 0, failed: 0, converged: true}
summary:
  description:
    - vschan's summary; for I(domain) the module counts the one record the same way.
  returned: always
  type: dict
  contains:
    hosts:
      description: Hosts contacted.
      type: int
    unreachable:
      description: Hosts that could not be reached.
      type: int
    domains:
      description: Domains selected.
      type: int
    applied:
      description: Domains changed.
      type: int
    unchanged:
      description: Domains that already matched the spec.
      type: int
    planned:
      description: Domains a dry run would change.
      type: int
    failed:
      description: Domains that failed or were refused.
      type: int
    tagged:
      description: Domains that got I(tag) (or, in check mode, would).
      type: int
    converged:
      description: Whether every domain matches its spec now; false in check mode when there is something to change.
      type: bool
  sample: {hosts: 1, unreachable: 0, domains: 2, applied: 2, unchanged: 0, planned: 0, failed: 0, converged: true}
cmd:
  description: The command that was run.
  returned: always
  type: list
  elements: str
rc:
  description: vschan's exit status (0 converged, 1 refused, 2 usage, 3 libvirt failure or unreachable host).
  returned: always
  type: int
stderr:
  description: What vschan wrote to standard error (its messages and hints).
  returned: always
  type: str
diff:
  description: The plan of each domain, as text, when run with C(--diff).
  returned: when diff mode is on
  type: dict
  contains:
    prepared:
      description:
        - One line per domain, then one per planned device, marked C(+) add,
          C(~) replace or C(-) remove, with the definitions it touches.
      type: str
'''

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

ACTION_SIGNS = {'add': '+', 'replace': '~', 'remove': '-'}
SUMMARY_KEYS = ('hosts', 'unreachable', 'domains', 'applied', 'unchanged', 'planned', 'failed', 'tagged')


def records(doc):
    """The domain records of either document shape."""
    if 'domains' in doc:
        return doc['domains']
    return [doc] if 'domain' in doc else []


def single_summary(doc, rc):
    """The many-domain summary, counted for the single-domain record."""
    s = dict.fromkeys(SUMMARY_KEYS, 0)
    s['hosts'] = 1
    if doc:
        s['domains'] = 1
        s['tagged'] = int(bool(doc.get('tag_added')))
        result = doc.get('result')
        if result != 'nothing-to-do' or not s['tagged']:
            s[{'nothing-to-do': 'unchanged', 'dry-run': 'planned',
               'applied': 'applied'}.get(result, 'failed')] += 1
    s['converged'] = rc == 0 and not (doc.get('dry_run') and (s['planned'] or s['tagged']))
    return s


def is_changed(doc):
    """Every record says whether the run changed its domain (or, in a dry
    run, would)."""
    return any(r.get('changed') for r in records(doc))


def plan_text(doc):
    lines = []
    for r in records(doc):
        where = ' on %s' % r['uri'] if r.get('uri') else ''
        lines.append('domain %s%s: %s' % (r.get('domain'), where, r.get('result')))
        for p in r.get('plan') or []:
            defs = [d for d in ('live', 'persistent') if p.get(d)]
            line = '  %s %s (%s)' % (ACTION_SIGNS.get(p.get('action'), '?'), p.get('device'), ', '.join(defs))
            if p.get('why'):
                line += ': %s' % p['why']
            lines.append(line)
    return '\n'.join(lines) + '\n' if lines else ''


def format_diag(e):
    """One of vschan's JSON diagnostics as vschan prints it:
    FILE[:LINE[:COLUMN]]: SEVERITY: [at POINTER: ]MESSAGE [RULE], then the hint."""
    text = ''
    if e.get('file'):
        text = e['file'] + ''.join(':%s' % e[k] for k in ('line', 'column') if e.get(k)) + ': '
    text += '%s: ' % (e.get('severity') or 'error')
    if e.get('pointer'):
        text += 'at %s: ' % e['pointer']
    text += e.get('message') or ''
    if e.get('rule'):
        text += ' [%s]' % e['rule']
    if e.get('hint'):
        text += '\n  hint: %s' % e['hint']
    return text


def error_text(doc, stderr):
    """vschan's errors from the JSON document, else its standard error."""
    parts = []
    for h in doc.get('hosts') or []:
        for e in h.get('errors') or []:
            parts.append('host %s: %s' % (h.get('uri'), format_diag(e)))
    for r in doc.get('domains') or []:
        for e in r.get('errors') or []:
            parts.append("domain '%s' on %s: %s" % (r.get('domain'), r.get('uri'), format_diag(e)))
    # The single-domain form and refusals before any domain (a broken spec,
    # a usage error) leave their messages on standard error only.
    return '\n'.join(parts) or stderr.strip() or 'vschan failed without a message'


def build_command(module, spec_file):
    p = module.params
    cmd = [p['vschan'] or module.get_bin_path('vschan', required=True)]
    for uri in p['uri'] or []:
        cmd += ['-c', uri]
    cmd.append('apply')
    for d in p['domains'] or []:
        cmd += ['--domains', d]
    for t in p['tagged'] or []:
        cmd += ['--tagged', t]
    if p['fleet']:
        cmd += ['--fleet', p['fleet']]
    if p['template']:
        cmd += ['--template', p['template']]
        for k, v in sorted((p['template_set'] or {}).items()):
            cmd += ['--set', '%s=%s' % (k, v)]
    if p['prune']:
        cmd.append('--prune')
    if p['tag']:
        cmd += ['--tag', p['tag']]
    if p['parallel'] is not None:
        cmd += ['--parallel', str(p['parallel'])]
    if p['affect']:
        cmd.append('--' + p['affect'])
    if p['timeout'] is not None:
        cmd += ['--timeout', str(p['timeout'])]
    if module.check_mode:
        cmd.append('--dry-run')
    cmd.append('--json')
    # The operands after '--', so that a domain or file name starting
    # with '-' is not taken for an option.
    operands = [o for o in (p['domain'], spec_file) if o]
    return cmd + ['--'] + operands if operands else cmd


def write_spec(module):
    """spec_content in a file only we can read, in the module's temp dir."""
    fd, path = tempfile.mkstemp(prefix='vschan-spec-', suffix='.json', dir=module.tmpdir)
    with os.fdopen(fd, 'w') as f:   # mkstemp creates it with mode 0600
        json.dump(module.params['spec_content'], f)
    return path


def main():
    module = AnsibleModule(
        argument_spec=dict(
            domain=dict(type='str'),
            domains=dict(type='list', elements='str'),
            tagged=dict(type='list', elements='str'),
            uri=dict(type='list', elements='str'),
            fleet=dict(type='path'),
            spec=dict(type='path'),
            spec_content=dict(type='dict'),
            template=dict(type='str'),
            template_set=dict(type='dict'),
            prune=dict(type='bool', default=False),
            tag=dict(type='str'),
            parallel=dict(type='int'),
            affect=dict(type='str', choices=['live', 'config', 'persistent', 'current']),
            timeout=dict(type='int'),
            vschan=dict(type='path'),
        ),
        mutually_exclusive=[
            ('domain', 'domains'), ('domain', 'tagged'), ('domain', 'fleet'),
            ('fleet', 'domains'), ('fleet', 'tagged'), ('fleet', 'uri'),
            ('fleet', 'spec', 'spec_content', 'template'),
            ('spec', 'spec_content', 'template'),
        ],
        required_one_of=[('domain', 'domains', 'tagged', 'fleet')],
        required_by={'template_set': 'template'},
        supports_check_mode=True,
    )
    p = module.params
    if not p['fleet'] and not (p['spec'] or p['spec_content'] is not None or p['template']):
        module.fail_json(msg='one of spec, spec_content or template is required without fleet')
    if p['domain'] and len(p['uri'] or []) > 1:
        module.fail_json(msg='domain takes at most one uri; use domains for several hosts')

    spec_file = p['spec']
    if p['spec_content'] is not None:
        spec_file = write_spec(module)
    try:
        cmd = build_command(module, spec_file)
        rc, stdout, stderr = module.run_command(cmd)
    finally:
        if p['spec_content'] is not None:
            os.unlink(spec_file)

    try:
        doc = json.loads(stdout) if stdout.strip() else {}
    except ValueError:
        doc = {}
    result = dict(
        changed=is_changed(doc),
        result=doc,
        summary=doc.get('summary') or single_summary(doc, rc),
        cmd=cmd, rc=rc, stderr=stderr,
    )
    if module._diff:
        result['diff'] = dict(prepared=plan_text(doc))
    for h in doc.get('hosts') or []:
        for w in h.get('warnings') or []:
            module.warn('host %s: %s' % (h.get('uri'), format_diag(w)))
    if rc != 0:
        module.fail_json(msg=error_text(doc, stderr), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
