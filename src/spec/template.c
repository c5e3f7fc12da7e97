#include "template.h"
#include "spec.h"
#include "util/file.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/paths.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool valid_name(const char *name)
{
  if (!*name)
    return false;
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
      return false;
  return true;
}

char *vsc_template_dir(const char *dir, vsc_diags *diags)
{
  if (dir)
    return vsc_strdup(dir);
  const char *env = getenv("VSCHAN_TEMPLATES_DIR");
  if (env && *env)
    return vsc_strdup(env);
  char *path = vsc_data_path("templates");
  struct stat st;
  if (!path || stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
    vsc_error(diags, NULL, NULL, "reinstall vschan, or give --templates-dir DIR",
              "cannot find the templates directory");
    free(path);
    return NULL;
  }
  return path;
}

void vsc_strv_free(char **strv)
{
  for (char **p = strv; p && *p; p++)
    free(*p);
  free(strv);
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

char **vsc_template_list(const char *dir, vsc_diags *diags)
{
  DIR *d = opendir(dir);
  char **names = NULL;
  size_t n = 0;
  struct dirent *e;

  if (!d) {
    vsc_loc loc = { .file = dir };
    vsc_error(diags, &loc, NULL, "give an existing directory with --templates-dir",
              "cannot open templates directory '%s'", dir);
    return NULL;
  }
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0 && e->d_name[0] != '.') {
      char *name = vsc_strndup(e->d_name, len - 5);
      *(char **)vsc_append(&names, &n, sizeof(char *)) = name;
    }
  }
  closedir(d);
  if (n > 1)   /* names is NULL when the directory is empty */
    qsort(names, n, sizeof(char *), cmp_str);
  *(char **)vsc_append(&names, &n, sizeof(char *)) = NULL;
  return names;
}

json_t *vsc_template_load(const char *dir, const char *name, vsc_diags *diags)
{
  if (!valid_name(name)) {
    vsc_error(diags, NULL, NULL, "see 'vschan template list'", "invalid template name '%s'", name);
    return NULL;
  }
  VSC_AUTOFREE(char) path = vsc_asprintf("%s/%s.json", dir, name);
  struct stat st;
  if (stat(path, &st) != 0) {
    vsc_error(diags, NULL, NULL, "see 'vschan template list' for the names", "no template named '%s'", name);
    return NULL;
  }
  size_t len;
  VSC_AUTOFREE(char) text = vsc_file_read(path, VSC_SPEC_MAX_SIZE, &len, diags);
  if (!text)
    return NULL;
  json_error_t err;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
  if (!root) {
    vsc_loc loc = { .file = path, .line = err.line, .column = err.column };
    vsc_error(diags, &loc, "spec-syntax", NULL, "%s", vsc_json_load_message(&err));
    return NULL;
  }
  if (!json_is_object(root) || !json_is_object(json_object_get(root, "spec"))) {
    vsc_loc loc = { .file = path };
    vsc_error(diags, &loc, NULL, "a template is {\"description\", \"parameters\", \"spec\"}",
              "template has no \"spec\" object");
    json_decref(root);
    return NULL;
  }
  return root;
}

typedef struct {
  json_t *params;              /* the template's parameters */
  json_t *values;              /* name → string value */
  const char *tmpl;
  vsc_diags *diags;
  int errors;
} expander;

/* Expand the placeholders of one string; NULL on error. */
static char *expand_string(expander *x, const char *s)
{
  vsc_buf out = { 0 };
  const char *p = s;

  while (*p) {
    const char *start = strstr(p, "${");
    if (!start) {
      vsc_buf_add(&out, p);
      break;
    }
    vsc_buf_addn(&out, p, (size_t)(start - p));
    const char *end = strchr(start, '}');
    if (!end) {
      vsc_error(x->diags, NULL, NULL, NULL, "template '%s': unterminated placeholder in \"%s\"", x->tmpl, s);
      x->errors++;
      vsc_buf_clear(&out);
      return NULL;
    }
    VSC_AUTOFREE(char) key = vsc_strndup(start + 2, (size_t)(end - start - 2));
    json_t *v = json_object_get(x->values, key);
    if (!v) {
      vsc_error(x->diags, NULL, NULL, "declare it under \"parameters\"",
                "template '%s' uses an undeclared parameter '%s'", x->tmpl, key);
      x->errors++;
      vsc_buf_clear(&out);
      return NULL;
    }
    vsc_buf_add(&out, json_string_value(v));
    p = end + 1;
  }
  return vsc_buf_steal(&out);
}

/* Exactly "${name}"?  Returns the name (caller frees) or NULL. */
static char *whole_placeholder(const char *s)
{
  size_t len = strlen(s);
  if (len > 3 && s[0] == '$' && s[1] == '{' && strchr(s + 2, '}') == s + len - 1)
    return vsc_strndup(s + 2, len - 3);
  return NULL;
}

/* Expand v in place inside its container; returns the replacement, or
 * NULL to remove it. */
static json_t *expand_value(expander *x, json_t *v)
{
  if (json_is_string(v)) {
    VSC_AUTOFREE(char) whole = whole_placeholder(json_string_value(v));
    if (whole) {
      json_t *param = json_object_get(x->params, whole);
      json_t *val = json_object_get(x->values, whole);
      const char *type = json_string_value(json_object_get(param, "type"));
      if (val && !*json_string_value(val))
        return NULL;
      if (val && type && strcmp(type, "integer") == 0) {
        char *end;
        long long n = strtoll(json_string_value(val), &end, 10);
        if (*end || !*json_string_value(val)) {
          vsc_error(x->diags, NULL, NULL, NULL, "template '%s': parameter '%s' must be an integer, not '%s'",
                    x->tmpl, whole, json_string_value(val));
          x->errors++;
          return json_incref(v);
        }
        return json_integer(n);
      }
    }
    char *s = expand_string(x, json_string_value(v));
    if (!s)
      return json_incref(v);
    json_t *r = json_string(s);
    free(s);
    if (!r) {
      vsc_error(x->diags, NULL, NULL, "give UTF-8 values", "template '%s': a value is not valid UTF-8", x->tmpl);
      x->errors++;
      return json_incref(v);
    }
    return r;
  }
  if (json_is_object(v)) {
    json_t *o = json_object();
    const char *key;
    json_t *item;
    json_object_foreach(v, key, item) {
      json_t *e = expand_value(x, item);
      if (e)
        json_object_set_new(o, key, e);
    }
    return o;
  }
  if (json_is_array(v)) {
    json_t *a = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
      json_t *e = expand_value(x, item);
      if (e)
        json_array_append_new(a, e);
    }
    return a;
  }
  return json_incref(v);
}

json_t *vsc_template_expand(json_t *tmpl, const char *name, const vsc_template_setting *settings,
                            size_t nsettings, vsc_diags *diags)
{
  json_t *params = json_object_get(tmpl, "parameters");
  expander x = { .params = params, .values = json_object(), .tmpl = name, .diags = diags };
  const char *key;
  json_t *p;

  json_object_foreach(params, key, p) {
    json_t *def = json_object_get(p, "default");
    if (json_is_string(def))
      json_object_set_new(x.values, key, json_string(json_string_value(def)));
    else if (json_is_integer(def)) {
      char num[32];
      snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(def));
      json_object_set_new(x.values, key, json_string(num));
    }
  }
  for (size_t i = 0; i < nsettings; i++) {
    if (!json_object_get(params, settings[i].key)) {
      vsc_buf names = { 0 };
      json_object_foreach(params, key, p) {
        vsc_buf_add(&names, " ");
        vsc_buf_add(&names, key);
      }
      VSC_AUTOFREE(char) list = vsc_buf_steal(&names);
      VSC_AUTOFREE(char) hint = vsc_asprintf("its parameters are:%s", list);
      vsc_error(diags, NULL, NULL, hint, "template '%s' has no parameter '%s'", name, settings[i].key);
      x.errors++;
      continue;
    }
    json_t *s = json_string(settings[i].value);
    if (!s) {
      vsc_error(diags, NULL, NULL, "give UTF-8 values", "value of '%s' is not valid UTF-8", settings[i].key);
      x.errors++;
      continue;
    }
    json_object_set_new(x.values, settings[i].key, s);
  }
  json_object_foreach(params, key, p) {
    if (!json_object_get(x.values, key)) {
      VSC_AUTOFREE(char) hint = vsc_asprintf("add --set %s=VALUE", key);
      vsc_error(diags, NULL, NULL, hint, "template '%s' needs a value for '%s'", name, key);
      x.errors++;
    }
  }
  /* A default may name other parameters ("guestfwd-${port}.sock"): expand
   * values once against the others, so references do not chain. */
  if (!x.errors) {
    json_t *resolved = json_object();
    json_t *v;
    json_object_foreach(x.values, key, v) {
      char *s = expand_string(&x, json_string_value(v));
      json_object_set_new(resolved, key, json_string(s ? s : json_string_value(v)));
      free(s);
    }
    json_decref(x.values);
    x.values = resolved;
  }
  json_t *spec = x.errors ? NULL : expand_value(&x, json_object_get(tmpl, "spec"));
  json_decref(x.values);
  if (x.errors) {
    json_decref(spec);
    return NULL;
  }
  return spec;
}

int vsc_template_render(const char *dir, const char *name, const vsc_template_setting *settings,
                        size_t nsettings, vsc_devset *set, vsc_diags *diags)
{
  json_t *tmpl = vsc_template_load(dir, name, diags);
  if (!tmpl)
    return -1;
  json_t *spec = vsc_template_expand(tmpl, name, settings, nsettings, diags);
  json_decref(tmpl);
  if (!spec)
    return -1;
  VSC_AUTOFREE(char) label = vsc_asprintf("template:%s", name);
  int rc = vsc_spec_parse_json(spec, label, set, diags);
  json_decref(spec);
  return rc;
}
