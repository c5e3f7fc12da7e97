/* vschan xml: render a spec as libvirt domain XML, alone or merged into a
 * domain document. */
#include "cli.h"
#include "model/rules.h"
#include "util/file.h"
#include "xml/xml.h"

#include <string.h>

static void usage(FILE *out)
{
  fputs("usage: vschan xml SPEC.json|- [--into DOMAIN.xml] [-o FILE]\n"
        "       vschan xml --channel|--console|--serial|--parallel OPTS... [--into DOMAIN.xml]\n"
        "       vschan xml --template NAME [--set KEY=VALUE]... [--into DOMAIN.xml] [-o FILE]\n"
        "\n"
        "Render the devices of a spec (or a template) as libvirt domain XML: a\n"
        "<devices> element, or with --into the whole domain with the devices merged in.\n"
        "Nothing is printed or written when the spec breaks a rule.\n"
        "\n"
        "Options:\n"
        "  --into DOMAIN.xml      merge into this domain: a device with the same identity\n"
        "                         (alias, virtio name, guestfwd address:port, target port)\n"
        "                         is replaced, others are added; a virtio-serial controller\n"
        "                         is added when needed\n"
        "  -o, --output FILE      write to FILE atomically instead of standard output\n"
        "  --template NAME        use a shipped template (see 'vschan template list')\n"
        "  --set KEY=VALUE        set a template parameter (repeatable)\n"
        "  --templates-dir DIR    read templates from DIR\n"
        "  --channel OPTS, --console OPTS, --serial OPTS, --parallel OPTS\n"
        "                         a device in virt-install's syntax (repeatable):\n"
        "                         TYPE,path=,mode=,host=HOST:PORT,bind_host=,name=,\n"
        "                         target.type=,target.address=ADDR:PORT,target.port=,\n"
        "                         target.model.name=,protocol=,log.file=,log.append=,\n"
        "                         alias.name=,source.*=; a literal comma is ',,'\n"
        "  -h, --help             show this help\n"
        "\n"
        "Examples:\n"
        "  vschan xml spec.json\n"
        "  vschan xml --template guest-agent\n"
        "  vschan xml --channel unix,path=/run/app.sock,name=org.example.app.0 \\\n"
        "             --serial tcp,host=:2222,mode=bind,protocol=telnet\n"
        "  vschan xml --template app-channel --set name=org.example.app.0 \\\n"
        "             --set path=/run/app.sock --into vm.xml -o vm.xml\n", out);
}

int cmd_xml(vsc_cli *cli, int argc, char **argv)
{
  enum { OPT_INTO = 0x100 };
  static const struct option opts[] = {
    { "into", required_argument, NULL, OPT_INTO },
    { "output", required_argument, NULL, 'o' },
    { NULL, 0, NULL, 0 },
  };
  vsc_cli_args a;
  const char *into = NULL, *output = NULL;
  vsc_diags diags = { 0 };
  vsc_devset set, existing;
  xmlDocPtr doc = NULL;
  VSC_AUTOFREE(char) text = NULL;
  int rc = VSC_EXIT_OK, c;

  vsc_devset_init(&set);
  vsc_devset_init(&existing);
  vsc_cli_args_init(&a, cli, argc, argv, usage);
  vsc_cli_args_options(&a, opts, "o:");
  while ((c = vsc_cli_args_next(&a)) > 0) {
    if (c == OPT_INTO)
      into = optarg;
    else if (c == 'o')
      output = optarg;
  }
  a.input.into_domain = into != NULL;
  if (c < 0 || vsc_cli_args_devices(&a, &set, &diags) < 0) {
    rc = a.rc;
    goto report;
  }
  if (vsc_xml_check_expressible(&set, &diags) < 0) {
    rc = VSC_EXIT_FAILURE;
    goto report;
  }

  if (into) {
    vsc_domain_info info;
    bool memory_added = false;
    doc = vsc_xml_read_file(into, &diags);
    if (!doc) {
      rc = VSC_EXIT_FAILURE;
      goto report;
    }
    /* before the rules, which judge the memory the domain will have */
    if (vsc_xml_merge_memory(doc, &set, &memory_added) == 0 && memory_added) {
      vsc_loc loc = { .file = strcmp(into, "-") ? into : "<stdin>" };
      vsc_diag_add(&diags, VSC_SEV_NOTE, &loc, NULL, NULL,
                   "the guest's memory is now shared in <memoryBacking>, as vhost-user daemons need");
    }
    if (vsc_xml_collect(xmlDocGetRootElement(doc), strcmp(into, "-") ? into : "<stdin>", &existing, &diags) < 0) {
      rc = VSC_EXIT_FAILURE;
      goto report;
    }
    /* vschan writes nothing that libvirt accepts but that will not work,
     * in what the domain will hold. */
    vsc_xml_domain_info(xmlDocGetRootElement(doc), &info);
    int clean = vsc_rules_require_clean_in(&set, &existing, &info,
                                           VSC_RULES_REPLACE | VSC_RULES_ADDS_CONTROLLER, &diags);
    vsc_domain_info_clear(&info);
    if (clean < 0 || vsc_xml_merge_into_domain(doc, &set, &diags) < 0) {
      rc = VSC_EXIT_FAILURE;
      goto report;
    }
    text = vsc_xml_doc_to_string(doc);
  } else if (set.memory.present) {
    vsc_loc loc = { .file = set.memory.origin.file, .pointer = set.memory.origin.pointer };
    vsc_diag_add_class(&diags, VSC_CLASS_USAGE, VSC_SEV_ERROR, &loc, "xml-memory-backing",
                       "give the domain with --into DOMAIN.xml, or leave memoryBacking out of the spec",
                       "memoryBacking belongs to the domain, not to <devices>");
    rc = VSC_EXIT_USAGE;
    goto report;
  } else {
    text = vsc_xml_devset_to_string(&set);
  }
  if (vsc_file_write_atomic(output ? output : "-", text, strlen(text), &diags) < 0)
    rc = VSC_EXIT_USAGE;

report:
  rc = vsc_cli_finish(cli, &diags, rc);
  if (doc)
    xmlFreeDoc(doc);
  vsc_devset_clear(&set);
  vsc_devset_clear(&existing);
  vsc_diags_clear(&diags);
  vsc_cli_args_clear(&a);
  return rc;
}
