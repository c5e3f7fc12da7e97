#!/usr/bin/python
# -*- coding: utf-8 -*-
# vschan_validate: check domain XML and vschan specs with `vschan validate
# --json`, the way libvirt's QEMU driver will.  It never changes anything.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: vschan_validate
short_description: Check libvirt domain XML and vschan specs with vschan validate
description:
  - Runs C(vschan validate --json) on files of the managed node, libvirt domain
    XML, device fragments (C(<devices>), C(<channel>), ...) and vschan spec
    files, told apart by their content. A directory stands for the C(*.xml)
    files below it.
  - Checks libvirt's RNG schema, the rules libvirt's QEMU driver enforces when
    a domain is defined, and the mistakes libvirt accepts that fail later
    (warnings).
  - Fails when a file is invalid or cannot be read, with each diagnostic
    (file, line or JSON pointer, message, rule id and hint) in C(msg).
    Warnings of valid files become Ansible warnings.
  - Never changes anything.
version_added: "0.1.0"
author:
  - vschan contributors
requirements:
  - vschan on the managed node
attributes:
  check_mode:
    support: full
    description: Runs the same way; validating changes nothing.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
options:
  paths:
    description:
      - The files or directories to check.
    type: list
    elements: path
    required: true
  werror:
    description:
      - Treat warnings as errors (C(--werror)).
    type: bool
    default: false
  schema_dir:
    description:
      - A directory with libvirt's schemas (C(domain.rng), C(domaincommon.rng))
        instead of C(/usr/share/libvirt/schemas).
    type: path
  vschan:
    description:
      - Path of the vschan binary. By default, C(vschan) is searched on C(PATH).
    type: path
seealso:
  - module: vschan.libvirt.vschan_apply
'''

EXAMPLES = r'''
- name: Check the domain definitions kept in /etc/libvirt-domains, warnings too
  vschan.libvirt.vschan_validate:
    paths: [/etc/libvirt-domains]
    werror: true

- name: Check a spec before applying it
  vschan.libvirt.vschan_validate:
    paths: [/etc/vschan/agent.json]
'''

RETURN = r'''
files:
  description: One record per file vschan checked.
  returned: when vschan printed its report
  type: list
  elements: dict
  sample:
    - file: /etc/vschan/agent.json
      kind: spec
      valid: false
      errors: 1
      warnings: 0
      diagnostics:
        - severity: error
          file: /etc/vschan/agent.json
          line: null
          column: null
          pointer: /bogus
          rule: spec-syntax
          message: unknown key 'bogus'
          hint: "allowed here: $schema version channels consoles serials parallels controller"
summary:
  description: How many files were valid, invalid and unreadable, and the counts of errors and warnings.
  returned: when vschan printed its report
  type: dict
  sample: {files: 2, valid: 1, invalid: 1, unreadable: 0, errors: 1, warnings: 0}
result:
  description: The whole JSON document vschan printed (C(version), C(schema), C(files), C(summary)).
  returned: always
  type: dict
cmd:
  description: The command that was run.
  returned: always
  type: list
  elements: str
rc:
  description: vschan's exit status (0 every file valid, 1 a file invalid, 2 usage error or unreadable file).
  returned: always
  type: int
stderr:
  description: What vschan wrote to standard error.
  returned: always
  type: str
'''

import json

from ansible.module_utils.basic import AnsibleModule


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


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type='list', elements='path', required=True),
            werror=dict(type='bool', default=False),
            schema_dir=dict(type='path'),
            vschan=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    cmd = [p['vschan'] or module.get_bin_path('vschan', required=True), 'validate', '--json']
    if p['werror']:
        cmd.append('--werror')
    if p['schema_dir']:
        cmd += ['--schema-dir', p['schema_dir']]
    cmd += ['--'] + p['paths']
    rc, stdout, stderr = module.run_command(cmd)

    try:
        doc = json.loads(stdout) if stdout.strip() else {}
    except ValueError:
        doc = {}
    result = dict(changed=False, result=doc, cmd=cmd, rc=rc, stderr=stderr)
    if 'files' in doc:
        result.update(files=doc['files'], summary=doc.get('summary', {}))

    bad, n = [], 0
    for f in doc.get('files') or []:
        n += 1
        diags = [format_diag(d) for d in f.get('diagnostics') or []]
        if not f.get('valid'):
            bad.append('\n'.join(diags) or '%s: invalid' % f.get('file'))
        else:
            for d in diags:
                module.warn(d)
    if rc != 0:
        if bad:
            msg = '%d of %d files invalid or unreadable:\n%s' % (len(bad), n, '\n'.join(bad))
        else:
            # No report: a usage error, on standard error.
            msg = stderr.strip() or 'vschan validate failed (exit %d) without a message' % rc
        module.fail_json(msg=msg, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
