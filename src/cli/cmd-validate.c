/* vschan validate: check domain XML, device fragments and spec files
 * against libvirt's schema and the rules; text, JSON or JUnit out. */
#include "cli.h"
#include "model/rules.h"
#include "util/enum.h"
#include "util/file.h"
#include "util/mem.h"
#include "validate/validate.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *out)
{
  fputs("usage: vschan validate [OPTIONS] FILE...|-\n"
        "       vschan validate --list-rules [--json]\n"
        "\n"
        "Check libvirt domain XML, device fragments (<devices>, <channel>, <console>,\n"
        "<serial>, <parallel>) and vschan spec files (told apart by content) against\n"
        "libvirt's RNG schema and the rules libvirt's QEMU driver enforces at define\n"
        "time, plus the mistakes libvirt accepts but which then fail (warnings).\n"
        "\n"
        "Options:\n"
        "  --format FORMAT        text (default), json, junit (a JUnit XML report on\n"
        "                         standard output), github (workflow annotations:\n"
        "                         ::error file=F,line=N,title=RULE::message) or sarif\n"
        "                         (a SARIF 2.1.0 log for code-scanning uploads)\n"
        "  --json                 --format json\n"
        "  --junit FILE           also write a JUnit XML report to FILE\n"
        "  --werror, --strict     treat warnings as errors\n"
        "  -j, --jobs N           validate N files at a time (default: one per core)\n"
        "  --schema-dir DIR       libvirt's schemas from DIR (domain.rng, domaincommon.rng)\n"
        "                         instead of " VSC_LIBVIRT_SCHEMA_DIR "\n"
        "  --bundled-schema       use vschan's character-device schema even when\n"
        "                         libvirt's is installed\n"
        "  --no-schema            skip the schema layer; rules only\n"
        "  --qemu-conf FILE       the host's qemu.conf, for what depends on it (spice_tls)\n"
        "                         (default: " VSC_QEMU_CONF " when readable)\n"
        "  --host CAPS.xml        the host's capabilities ('virsh capabilities'), for the\n"
        "                         domain types it offers (kvm, qemu) per arch\n"
        "  --list-rules           list the rule ids and what they check\n"
        "  -h, --help             show this help\n"
        "\n"
        "Exit status: 0 every file is valid, 1 a file is invalid, 2 usage error or a\n"
        "file cannot be read.\n"
        "\n"
        "A directory stands for the *.xml files below it (symbolic links that leave\n"
        "it are not followed).\n"
        "\n"
        "Examples:\n"
        "  vschan validate vm.xml\n"
        "  vschan validate --format github domains/\n"
        "  vschan validate --werror --junit report.xml domains/*.xml\n"
        "  virsh dumpxml guest | vschan validate -\n", out);
}

typedef enum { FORMAT_TEXT, FORMAT_JSON, FORMAT_JUNIT, FORMAT_GITHUB, FORMAT_SARIF, FORMAT_LAST } out_format;
VSC_ENUM_DECL(out_format);
VSC_ENUM_IMPL(out_format, FORMAT_LAST, "text", "json", "junit", "github", "sarif");

typedef struct {
  vsc_cli *cli;
  bool json;
  bool github;
  json_t *sarif;       /* the SARIF log, printed at the end */
  bool silent;         /* the JUnit report is standard output */
  FILE *junit_cases;   /* test cases until the totals are known */
  size_t nfiles, ninvalid, nio, nerrors, nwarnings;
} output;

/* GitHub's workflow commands: '%', CR and LF escaped in the message, and
 * ':' and ',' too in a property. */
static void github_escaped(const char *text, bool property)
{
  for (const char *p = text ? text : ""; *p; p++) {
    if (*p == '%')
      fputs("%25", stdout);
    else if (*p == '\r')
      fputs("%0D", stdout);
    else if (*p == '\n')
      fputs("%0A", stdout);
    else if (property && *p == ':')
      fputs("%3A", stdout);
    else if (property && *p == ',')
      fputs("%2C", stdout);
    else
      putchar(*p);
  }
}

/* ::error file=F,line=N,title=RULE::message (hint: ...) */
static void print_github(const vsc_diags *diags)
{
  for (size_t i = 0; i < diags->n; i++) {
    const vsc_diag *d = &diags->items[i];
    printf("::%s ", d->severity == VSC_SEV_ERROR ? "error" : "warning");
    if (d->file) {
      fputs("file=", stdout);
      github_escaped(d->file, true);
      if (d->line > 0)
        printf(",line=%d", d->line);
      putchar(',');
    }
    fputs("title=", stdout);
    github_escaped(d->rule ? d->rule : "vschan", true);
    fputs("::", stdout);
    github_escaped(d->pointer ? d->pointer : "", false);
    fputs(d->pointer ? ": " : "", stdout);
    github_escaped(d->message, false);
    if (d->hint) {
      fputs(" (hint: ", stdout);
      github_escaped(d->hint, false);
      putchar(')');
    }
    putchar('\n');
  }
}

static void on_result(size_t index, const vsc_validate_result *res, void *opaque)
{
  output *o = opaque;
  size_t errors = vsc_diags_count(&res->diags, VSC_SEV_ERROR);
  o->nfiles++;
  o->nerrors += errors;
  o->nwarnings += vsc_diags_count(&res->diags, VSC_SEV_WARNING);
  if (res->io_error)
    o->nio++;
  else if (!vsc_validate_result_valid(res))
    o->ninvalid++;

  if (o->json) {
    json_t *j = vsc_validate_result_to_json(res);
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
    printf("%s%s", index ? ",\n" : "\n", text);
    free(text);
    json_decref(j);
  } else if (o->sarif) {
    vsc_validate_sarif_add(o->sarif, res);
  } else if (o->silent) {
    /* the report says it */
  } else if (o->github) {
    print_github(&res->diags);
  } else if (o->cli->verbosity >= 0 || errors) {
    vsc_diags_print(&res->diags, stdout, o->cli->color_stdout);
  }
  if (o->junit_cases) {
    VSC_AUTOFREE(char) tc = vsc_validate_result_to_junit(res);
    fprintf(o->junit_cases, "    %s\n", tc);
  }
}

static void list_rules(bool json)
{
  /* What validate reports: the input layer, then the device model's rules. */
  static const vsc_rule_layer layers[] = { VSC_LAYER_INPUT, VSC_LAYER_RULES };
  json_t *all = json ? json_array() : NULL;
  for (size_t t = 0; t < VSC_N_ELEMENTS(layers); t++) {
    for (const vsc_rule_info *r = vsc_rules; r->id; r++) {
      if (r->layer != layers[t])
        continue;
      if (json)
        json_array_append_new(all, json_pack("{s:s, s:s, s:s, s:s}", "id", r->id, "severity",
                                             vsc_severity_to_string(r->severity), "layer",
                                             vsc_rule_layer_to_string(r->layer), "summary", r->summary));
      else
        printf("%-26s %-8s %s\n", r->id, vsc_severity_to_string(r->severity), r->summary);
    }
  }
  if (json) {
    vsc_cli_print_json(all, 0);
  }
}

/* Copy the temporary test cases into FILE under a <testsuite> with the
 * totals.  Returns 0, or -1 with errno. */
static int write_junit(const char *path, const output *o)
{
  if (!path)
    return -1;
  FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
  if (!f)
    return -1;
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<testsuites tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n"
             "  <testsuite name=\"vschan validate\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n",
          o->nfiles, o->ninvalid, o->nio, o->nfiles, o->ninvalid, o->nio);
  rewind(o->junit_cases);
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof(chunk), o->junit_cases)) > 0)
    fwrite(chunk, 1, n, f);
  fputs("  </testsuite>\n</testsuites>\n", f);
  if (f == stdout)
    return fflush(f) == 0 ? 0 : -1;
  return fclose(f) == 0 ? 0 : -1;
}

typedef struct {
  const char *junit, *schema_dir, *qemu_conf, *host;
  bool json, github, sarif, werror, bundled, no_schema;
  unsigned int jobs;
} options;

/* The operands with each directory replaced by the *.xml files below it
 * (free each and the array).  A directory that cannot be read or holds
 * none is reported, counted in *nbad, and the rest still validated. */
static char **expand_dirs(vsc_cli *cli, char **operands, size_t noperands, size_t *nfiles, size_t *nbad)
{
  char **files = NULL;
  vsc_diags diags = { 0 };
  *nfiles = 0;
  for (size_t i = 0; i < noperands; i++) {
    struct stat st;
    size_t before = *nfiles;
    if (strcmp(operands[i], "-") == 0 || stat(operands[i], &st) < 0 || !S_ISDIR(st.st_mode)) {
      *(char **)vsc_append(&files, nfiles, sizeof(char *)) = vsc_strdup(operands[i]);
    } else if (vsc_dir_find(operands[i], ".xml", &files, nfiles, &diags) == 0 && *nfiles == before) {
      vsc_loc loc = { .file = operands[i] };
      vsc_error_io(&diags, &loc, "io", "give the directory that holds the domain XML files",
                   "no *.xml file below the directory");
    }
  }
  *nbad = diags.n;
  vsc_cli_report(cli, &diags);
  vsc_diags_clear(&diags);
  return files;
}

static int run_files(vsc_cli *cli, const options *opt, char **files, size_t nfiles);

static int run(vsc_cli *cli, const options *opt, char **operands, size_t noperands)
{
  size_t nfiles, nbad;
  char **files = expand_dirs(cli, operands, noperands, &nfiles, &nbad);
  int rc = nfiles ? run_files(cli, opt, files, nfiles) : VSC_EXIT_USAGE;
  for (size_t i = 0; i < nfiles; i++)
    free(files[i]);
  free(files);
  return nbad && rc < VSC_EXIT_USAGE ? VSC_EXIT_USAGE : rc;
}

static int run_files(vsc_cli *cli, const options *opt, char **files, size_t nfiles)
{
  if (opt->no_schema && (opt->bundled || opt->schema_dir))
    return vsc_cli_usage_error("validate", "--no-schema cannot be combined with --schema-dir or --bundled-schema");
  if (opt->bundled && opt->schema_dir)
    return vsc_cli_usage_error("validate", "--schema-dir and --bundled-schema exclude each other");
  size_t nstdin = 0;
  for (size_t i = 0; i < nfiles; i++)
    nstdin += strcmp(files[i], "-") == 0;
  if (nstdin > 1)
    return vsc_cli_usage_error("validate", "standard input ('-') can be given only once");

  vsc_schema *schema = NULL;
  if (!opt->no_schema) {
    vsc_diags diags = { 0 };
    schema = vsc_schema_load(opt->schema_dir, opt->bundled, &diags);
    if (!schema) {
      vsc_diags_print(&diags, stderr, cli->color_stderr);
      vsc_diags_clear(&diags);
      return VSC_EXIT_USAGE;
    }
    if (vsc_schema_get_origin(schema) == VSC_SCHEMA_BUNDLED && cli->verbosity >= 0)
      fprintf(stderr, "vschan: note: %s; using vschan's bundled schema '%s', which checks the character "
                      "devices (<channel>, <console>, <serial>, <parallel>) and little else\n",
              opt->bundled ? "--bundled-schema given" : "libvirt's schemas are not installed (" VSC_LIBVIRT_SCHEMA_DIR ")",
              vsc_schema_get_path(schema));
  }

  vsc_validate_opts vopts = { .schema = schema, .werror = opt->werror, .host_spice_tls = -1 };
  /* What depends on the host: its qemu.conf, the one given or libvirt's
   * own when there is one to read. */
  if (opt->qemu_conf || access(VSC_QEMU_CONF, R_OK) == 0) {
    vsc_diags diags = { 0 };
    vopts.host_spice_tls = vsc_qemu_conf_spice_tls(opt->qemu_conf ? opt->qemu_conf : VSC_QEMU_CONF, &diags);
    if (vopts.host_spice_tls < 0) {
      vsc_cli_report(cli, &diags);
      vsc_diags_clear(&diags);
      vsc_schema_free(schema);
      return VSC_EXIT_USAGE;
    }
  }

  vsc_host_caps caps = { 0 };
  if (opt->host) {
    vsc_diags diags = { 0 };
    if (vsc_host_caps_load(opt->host, &caps, &diags) < 0) {
      int rc = vsc_cli_finish(cli, &diags, VSC_EXIT_FAILURE);
      vsc_diags_clear(&diags);
      vsc_schema_free(schema);
      return rc;
    }
    vopts.host = &caps;
  }

  output o = { .cli = cli, .json = opt->json, .github = opt->github,
               .sarif = opt->sarif ? vsc_validate_sarif_new() : NULL,
               .silent = opt->junit && strcmp(opt->junit, "-") == 0 };
  if (opt->junit && !(o.junit_cases = tmpfile())) {
    fprintf(stderr, "vschan: error: cannot create a temporary file for the JUnit report: %s\n", strerror(errno));
    vsc_schema_free(schema);
    return VSC_EXIT_USAGE;
  }
  if (opt->json) {
    json_t *s = json_pack("{s:s, s:o}", "origin",
                          !schema ? "none" : vsc_schema_get_origin(schema) == VSC_SCHEMA_LIBVIRT ? "libvirt" : "bundled",
                          "path", schema ? json_string(vsc_schema_get_path(schema)) : json_null());
    char *text = json_dumps(s, JSON_COMPACT | JSON_ENSURE_ASCII);
    printf("{\"version\":1,\"schema\":%s,\"files\":[", text);
    free(text);
    json_decref(s);
  }

  vsc_validate_run(files, nfiles, opt->jobs, &vopts, on_result, &o);

  size_t nvalid = o.nfiles - o.ninvalid - o.nio;
  fflush(stdout);
  if (opt->json)
    printf("\n],\"summary\":{\"files\":%zu,\"valid\":%zu,\"invalid\":%zu,\"unreadable\":%zu,"
           "\"errors\":%zu,\"warnings\":%zu}}\n",
           o.nfiles, nvalid, o.ninvalid, o.nio, o.nerrors, o.nwarnings);
  else if (cli->verbosity >= 0 && (o.nfiles > 1 || cli->verbosity > 0) && !(opt->junit && strcmp(opt->junit, "-") == 0))
    fprintf(stderr, "vschan: %zu file%s: %zu valid, %zu invalid%s; %zu error%s, %zu warning%s\n", o.nfiles,
            o.nfiles == 1 ? "" : "s", nvalid, o.ninvalid, o.nio ? ", some unreadable" : "", o.nerrors,
            o.nerrors == 1 ? "" : "s", o.nwarnings, o.nwarnings == 1 ? "" : "s");

  if (o.sarif) {
    vsc_cli_print_json(o.sarif, 0);   /* takes the reference */
    o.sarif = NULL;
  }
  int rc = o.nio ? VSC_EXIT_USAGE : o.ninvalid ? VSC_EXIT_FAILURE : VSC_EXIT_OK;
  if (o.junit_cases) {
    if (write_junit(opt->junit, &o) < 0) {
      fprintf(stderr, "vschan: error: cannot write '%s': %s\n", opt->junit, strerror(errno));
      rc = VSC_EXIT_USAGE;
    }
    fclose(o.junit_cases);
  }
  if (fflush(stdout) != 0) {
    fprintf(stderr, "vschan: error: cannot write to standard output: %s\n", strerror(errno));
    rc = VSC_EXIT_USAGE;
  }
  vsc_host_caps_clear(&caps);
  vsc_schema_free(schema);
  return rc;
}

int cmd_validate(vsc_cli *cli, int argc, char **argv)
{
  enum { OPT_JUNIT = 0x100, OPT_WERROR, OPT_SCHEMA_DIR, OPT_BUNDLED, OPT_NO_SCHEMA, OPT_LIST, OPT_FORMAT, OPT_QEMU_CONF,
         OPT_HOST };
  static const struct option opts[] = {
    { "junit", required_argument, NULL, OPT_JUNIT },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "qemu-conf", required_argument, NULL, OPT_QEMU_CONF },
    { "host", required_argument, NULL, OPT_HOST },
    { "werror", no_argument, NULL, OPT_WERROR },
    { "strict", no_argument, NULL, OPT_WERROR },
    { "jobs", required_argument, NULL, 'j' },
    { "schema-dir", required_argument, NULL, OPT_SCHEMA_DIR },
    { "bundled-schema", no_argument, NULL, OPT_BUNDLED },
    { "no-schema", no_argument, NULL, OPT_NO_SCHEMA },
    { "list-rules", no_argument, NULL, OPT_LIST },
    { NULL, 0, NULL, 0 },
  };
  vsc_cli_args a;
  options opt = { 0 };
  out_format format = FORMAT_TEXT;
  bool list = false;
  int rc, c;

  vsc_cli_args_init(&a, cli, argc, argv, usage);
  vsc_cli_args_options(&a, opts, "j:");
  while ((c = vsc_cli_args_next(&a)) > 0) {
    switch (c) {
    case OPT_JUNIT: opt.junit = optarg; break;
    case OPT_FORMAT: {
      int f = out_format_from_string(optarg);
      if (f < 0)
        a.rc = vsc_cli_usage_error("validate", "--format takes text, json, junit, github or sarif, not '%s'", optarg);
      else
        format = (out_format)f;
      break;
    }
    case OPT_WERROR: opt.werror = true; break;
    case OPT_SCHEMA_DIR: opt.schema_dir = optarg; break;
    case OPT_QEMU_CONF: opt.qemu_conf = optarg; break;
    case OPT_HOST: opt.host = optarg; break;
    case OPT_BUNDLED: opt.bundled = true; break;
    case OPT_NO_SCHEMA: opt.no_schema = true; break;
    case OPT_LIST: list = true; break;
    case 'j': {
      char *end;
      errno = 0;
      unsigned long n = strtoul(optarg, &end, 10);
      if (!*optarg || *end || errno || n == 0 || n > 1024 || optarg[0] == '-')
        a.rc = vsc_cli_usage_error("validate", "--jobs takes a number from 1 to 1024, not '%s'", optarg);
      opt.jobs = (unsigned int)n;
      break;
    }
    }
  }
  opt.json = a.json || format == FORMAT_JSON;
  opt.github = format == FORMAT_GITHUB;
  opt.sarif = format == FORMAT_SARIF;
  if (c >= 0 && format == FORMAT_JUNIT && opt.junit) {
    c = -1;
    a.rc = vsc_cli_usage_error("validate", "--format junit writes the report to standard output: "
                                           "leave out --junit, or use another format");
  } else if (c >= 0 && a.json && format != FORMAT_TEXT && format != FORMAT_JSON) {
    c = -1;
    a.rc = vsc_cli_usage_error("validate", "--json and --format %s exclude each other",
                               out_format_to_string(format));
  } else if (format == FORMAT_JUNIT) {
    opt.junit = "-";
  }
  if (c < 0) {
    rc = a.rc;
  } else if (list) {
    list_rules(opt.json);
    rc = VSC_EXIT_OK;
  } else if (a.noperands == 0) {
    /* --list-rules takes no files, so the table cannot ask for one. */
    rc = vsc_cli_usage_error("validate", "give one or more files, or '-' for standard input");
  } else {
    rc = run(cli, &opt, a.operands, a.noperands);
  }
  vsc_cli_args_clear(&a);
  return rc;
}
