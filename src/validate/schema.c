/* The schema layer: libvirt's RNG (or the bundled character-device
 * grammar), compiled once, and an explanation of each failure that names
 * the deepest element at fault rather than the <devices> interleave
 * libxml2 blames.
 *
 * Two grammars are compiled from the same file: libvirt's domain.rng as it
 * is (start: <domain>), and the same grammar restarted at <devices> or any
 * single device, for fragments and for checking the devices of a domain
 * one at a time.  The explanation probes a copy of
 * the failing element: which attribute value would the grammar take
 * instead, which attribute or element it would take without. */
#include "internal.h"

#include "util/buf.h"
#include "util/mem.h"
#include "util/paths.h"
#include "util/strset.h"
#include "xml/xml.h"

#include <ctype.h>
#include <pthread.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/uri.h>
#include <string.h>
#include <unistd.h>

#define RNG_NS "http://relaxng.org/ns/structure/1.0"
/* Problems explained per device before giving up on it. */
#define MAX_ROUNDS 8
/* Accepted values listed in a message. */
#define MAX_LISTED 16

/* An attribute the grammar declares on an element (by element name, all
 * places merged), with the values it names for it. */
typedef struct {
  char *element;
  char *name;
  char **values;
  size_t nvalues;
} attr_values;

struct vsc_schema {
  vsc_schema_origin origin;
  char *path;
  xmlRelaxNGPtr domain;
  /* Made on first use (a fragment, or a document that fails), so that
   * checking valid domains costs one compile: */
  pthread_mutex_t lock;
  bool prepared;
  xmlRelaxNGPtr fragment;
  /* What the grammar declares on each element: the candidates tried
   * when an attribute is refused or missing. */
  attr_values *attrs;
  size_t nattrs;
};

VSC_DEFINE_AUTOPTR(xmlDoc, xmlFreeDoc)

static bool is_rng(xmlNodePtr n, const char *name)
{
  return n && n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, BAD_CAST RNG_NS) &&
         xmlStrEqual(n->name, BAD_CAST name);
}

/* --- reading the grammar documents ------------------------------------ */

/* The <define>s of one name (several: combine="choice"). */
typedef struct {
  xmlNodePtr *nodes;
  size_t n;
} define_list;

typedef struct {
  xmlDocPtr *docs;
  size_t ndocs;
  char **seen;
  size_t nseen;
  /* Every <define> by name, indexed once: following a <ref> is a lookup,
   * not a scan of the grammar (libvirt's has about 2,000 defines). */
  vsc_strset define_names;   /* name -> its list in defines */
  define_list *defines;
  size_t ndefines;
} grammar_docs;

static void index_defines(grammar_docs *g)
{
  for (size_t i = 0; i < g->ndocs; i++) {
    for (xmlNodePtr d = xmlDocGetRootElement(g->docs[i])->children; d; d = d->next) {
      if (!is_rng(d, "define"))
        continue;
      VSC_AUTOFREE(char) name = vsc_xml_attr(d, "name");
      if (!name)
        continue;
      if (vsc_strset_add(&g->define_names, name)) {
        vsc_strset_find(&g->define_names, name)->value = g->ndefines;
        vsc_append(&g->defines, &g->ndefines, sizeof(define_list));
      }
      define_list *l = &g->defines[vsc_strset_find(&g->define_names, name)->value];
      *(xmlNodePtr *)vsc_append(&l->nodes, &l->n, sizeof(xmlNodePtr)) = d;
    }
  }
}

/* Load path and, recursively, what it includes. */
static void load_docs(grammar_docs *g, const char *path)
{
  for (size_t i = 0; i < g->nseen; i++)
    if (strcmp(g->seen[i], path) == 0)
      return;
  *(char **)vsc_append(&g->seen, &g->nseen, sizeof(char *)) = vsc_strdup(path);
  xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!doc)
    return;
  *(xmlDocPtr *)vsc_append(&g->docs, &g->ndocs, sizeof(xmlDocPtr)) = doc;
  for (xmlNodePtr n = xmlDocGetRootElement(doc) ? xmlDocGetRootElement(doc)->children : NULL; n; n = n->next) {
    if (!is_rng(n, "include"))
      continue;
    VSC_AUTOFREE(char) href = vsc_xml_attr(n, "href");
    if (!href)
      continue;
    xmlChar *full = xmlBuildURI(BAD_CAST href, BAD_CAST path);
    if (full)
      load_docs(g, (const char *)full);
    xmlFree(full);
  }
}

static void grammar_docs_clear(grammar_docs *g)
{
  for (size_t i = 0; i < g->ndocs; i++)
    xmlFreeDoc(g->docs[i]);
  for (size_t i = 0; i < g->nseen; i++)
    free(g->seen[i]);
  for (size_t i = 0; i < g->ndefines; i++)
    free(g->defines[i].nodes);
  free(g->docs);
  free(g->seen);
  free(g->defines);
  vsc_strset_clear(&g->define_names);
}

static const define_list no_defines;

/* The <define>s of name. */
static const define_list *defines_named(const grammar_docs *g, const char *name)
{
  const vsc_strset_entry *e = name ? vsc_strset_find(&g->define_names, name) : NULL;
  return e ? &g->defines[e->value] : &no_defines;
}

/* The <define>s a <ref> names. */
static const define_list *ref_defines(const grammar_docs *g, xmlNodePtr ref)
{
  VSC_AUTOFREE(char) name = vsc_xml_attr(ref, "name");
  return defines_named(g, name);
}

static void add_unique(char ***list, size_t *n, const char *s)
{
  for (size_t i = 0; i < *n; i++)
    if (strcmp((*list)[i], s) == 0)
      return;
  *(char **)vsc_append(list, n, sizeof(char *)) = vsc_strdup(s);
}

/* The names of the refs below node (not following them). */
static void collect_refs(xmlNodePtr node, char ***refs, size_t *n)
{
  for (xmlNodePtr c = node->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE)
      continue;
    if (is_rng(c, "element"))
      continue;  /* a nested element's refs belong to it */
    if (is_rng(c, "ref")) {
      VSC_AUTOFREE(char) name = vsc_xml_attr(c, "name");
      if (name)
        add_unique(refs, n, name);
    }
    collect_refs(c, refs, n);
  }
}

/* <value>s below node, following refs (depth-limited: some refs recurse). */
static void collect_values(const grammar_docs *g, xmlNodePtr node, int depth, attr_values *out)
{
  for (xmlNodePtr c = node->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE)
      continue;
    if (is_rng(c, "value")) {
      xmlChar *v = xmlNodeGetContent(c);
      if (v)
        add_unique(&out->values, &out->nvalues, (const char *)v);
      xmlFree(v);
    } else if (is_rng(c, "ref") && depth < 3) {
      const define_list *defs = ref_defines(g, c);
      for (size_t i = 0; i < defs->n; i++)
        collect_values(g, defs->nodes[i], depth + 1, out);
    } else {
      collect_values(g, c, depth, out);
    }
  }
}

static attr_values *attr_entry(vsc_schema *s, const char *element, const char *name)
{
  for (size_t i = 0; i < s->nattrs; i++)
    if (strcmp(s->attrs[i].element, element) == 0 && strcmp(s->attrs[i].name, name) == 0)
      return &s->attrs[i];
  attr_values *a = vsc_append(&s->attrs, &s->nattrs, sizeof(*a));
  a->element = vsc_strdup(element);
  a->name = vsc_strdup(name);
  return a;
}

/* The attributes in the content of element (following refs, not into
 * nested elements). */
static void collect_element_attributes(vsc_schema *s, const grammar_docs *g, const char *element,
                                       xmlNodePtr node, int depth)
{
  for (xmlNodePtr c = node->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || is_rng(c, "element"))
      continue;
    if (is_rng(c, "attribute")) {
      VSC_AUTOFREE(char) name = vsc_xml_attr(c, "name");
      if (name)
        collect_values(g, c, 0, attr_entry(s, element, name));
    } else if (is_rng(c, "ref") && depth < 6) {
      const define_list *defs = ref_defines(g, c);
      for (size_t i = 0; i < defs->n; i++)
        collect_element_attributes(s, g, element, defs->nodes[i], depth + 1);
    } else {
      collect_element_attributes(s, g, element, c, depth);
    }
  }
}

static void collect_attributes(vsc_schema *s, const grammar_docs *g, xmlNodePtr node)
{
  for (xmlNodePtr c = node->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE)
      continue;
    if (is_rng(c, "element")) {
      VSC_AUTOFREE(char) name = vsc_xml_attr(c, "name");
      if (name)
        collect_element_attributes(s, g, name, c, 0);
    }
    collect_attributes(s, g, c);
  }
}

/* --- compiling -------------------------------------------------------- */

static void collect_error(void *opaque, xmlErrorPtr err)
{
  vsc_buf *b = opaque;
  if (b->len > 0)
    vsc_buf_add(b, "; ");
  size_t n = err->message ? strlen(err->message) : 0;
  while (n > 0 && isspace((unsigned char)err->message[n - 1]))
    n--;
  vsc_buf_addn(b, err->message ? err->message : "unknown error", n);
}

static xmlRelaxNGPtr compile(xmlRelaxNGParserCtxtPtr pctxt, const char *what, vsc_diags *diags)
{
  vsc_buf msgs = { 0 };
  xmlRelaxNGSetParserStructuredErrors(pctxt, collect_error, &msgs);
  xmlRelaxNGPtr rng = xmlRelaxNGParse(pctxt);
  xmlRelaxNGFreeParserCtxt(pctxt);
  VSC_AUTOFREE(char) text = vsc_buf_steal(&msgs);
  if (!rng) {
    vsc_loc loc = { .file = what };
    vsc_error_io(diags, &loc, "io", "check the schema files, or pass --schema-dir", "cannot compile the schema: %s",
                 *text ? text : "unknown error");
  }
  return rng;
}

/* The grammar of file (which has a start) started at the given refs
 * instead: an include that overrides the start. */
static xmlRelaxNGPtr compile_restarted(const char *file, char *const *starts, size_t nstarts, vsc_diags *diags)
{
  VSC_AUTOPTR(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
  xmlNodePtr grammar = xmlNewNode(NULL, BAD_CAST "grammar");
  xmlDocSetRootElement(doc, grammar);
  xmlSetNs(grammar, xmlNewNs(grammar, BAD_CAST RNG_NS, NULL));
  xmlChar *uri = xmlPathToURI(BAD_CAST file);
  xmlNodePtr include = xmlNewChild(grammar, NULL, BAD_CAST "include", NULL);
  xmlNewProp(include, BAD_CAST "href", uri);
  xmlFree(uri);
  xmlNodePtr parent = xmlNewChild(include, NULL, BAD_CAST "start", NULL);
  if (nstarts > 1)
    parent = xmlNewChild(parent, NULL, BAD_CAST "choice", NULL);
  for (size_t i = 0; i < nstarts; i++)
    xmlNewProp(xmlNewChild(parent, NULL, BAD_CAST "ref", NULL), BAD_CAST "name", BAD_CAST starts[i]);
  return compile(xmlRelaxNGNewDocParserCtxt(doc), file, diags);
}

static bool readable(const char *path)
{
  return access(path, R_OK) == 0;
}

vsc_schema *vsc_schema_load(const char *dir, bool bundled, vsc_diags *diags)
{
  vsc_schema *s = vsc_calloc(1, sizeof(*s));
  pthread_mutex_init(&s->lock, NULL);
  VSC_AUTOFREE(char) domain_rng = NULL;
  VSC_AUTOFREE(char) library = NULL;
  vsc_loc loc = { 0 };

  if (!bundled) {
    const char *d = dir ? dir : VSC_LIBVIRT_SCHEMA_DIR;
    domain_rng = vsc_asprintf("%s/domain.rng", d);
    library = vsc_asprintf("%s/domaincommon.rng", d);
    if (!readable(domain_rng) || !readable(library)) {
      if (dir) {
        loc.file = dir;
        vsc_error_io(diags, &loc, "io", "give the directory that holds libvirt's domain.rng and domaincommon.rng",
                     "'%s' or '%s' cannot be read", domain_rng, library);
        vsc_schema_free(s);
        return NULL;
      }
      bundled = true;
    }
  }
  if (bundled) {
    free(library);
    library = vsc_data_path(VSC_BUNDLED_SCHEMA);
    if (!library || !readable(library)) {
      loc.file = library ? library : VSC_BUNDLED_SCHEMA;
      vsc_error_io(diags, &loc, "io", "install libvirt's schemas (libvirt-daemon) or reinstall vschan",
                   "neither libvirt's schemas nor vschan's bundled schema can be read");
      vsc_schema_free(s);
      return NULL;
    }
    s->origin = VSC_SCHEMA_BUNDLED;
    s->path = vsc_strdup(library);
  } else {
    s->origin = VSC_SCHEMA_LIBVIRT;
    s->path = vsc_strdup(domain_rng);
  }

  s->domain = compile(xmlRelaxNGNewParserCtxt(s->path), s->path, diags);
  if (!s->domain) {
    vsc_schema_free(s);
    return NULL;
  }
  return s;
}

/* The second grammar and the attribute values, once per process.  A
 * failure leaves fragment NULL; vsc_schema_check() then says so. */
static void prepare_now(vsc_schema *s)
{
  grammar_docs g = { 0 };
  load_docs(&g, s->path);
  index_defines(&g);
  char **starts = NULL;
  size_t nstarts = 0;
  add_unique(&starts, &nstarts, "devices");
  const define_list *defs = defines_named(&g, "devices");
  for (size_t i = 0; i < defs->n; i++) {
    /* The refs inside <element name="devices">. */
    for (xmlNodePtr e = defs->nodes[i]->children; e; e = e->next)
      if (is_rng(e, "element"))
        collect_refs(e, &starts, &nstarts);
  }
  for (size_t i = 0; i < g.ndocs; i++)
    collect_attributes(s, &g, xmlDocGetRootElement(g.docs[i]));
  grammar_docs_clear(&g);
  vsc_diags ignored = { 0 };
  s->fragment = compile_restarted(s->path, starts, nstarts, &ignored);
  vsc_diags_clear(&ignored);
  for (size_t i = 0; i < nstarts; i++)
    free(starts[i]);
  free(starts);
}

/* The schema is shared read-only by the threads, except for this cache
 * filled once under the lock. */
static bool prepare(const vsc_schema *cs)
{
  vsc_schema *s = (vsc_schema *)cs;
  pthread_mutex_lock(&s->lock);
  if (!s->prepared) {
    prepare_now(s);
    s->prepared = true;
  }
  bool ok = s->fragment != NULL;
  pthread_mutex_unlock(&s->lock);
  return ok;
}

void vsc_schema_free(vsc_schema *s)
{
  if (!s)
    return;
  xmlRelaxNGFree(s->domain);
  xmlRelaxNGFree(s->fragment);
  for (size_t i = 0; i < s->nattrs; i++) {
    for (size_t j = 0; j < s->attrs[i].nvalues; j++)
      free(s->attrs[i].values[j]);
    free(s->attrs[i].values);
    free(s->attrs[i].name);
    free(s->attrs[i].element);
  }
  free(s->attrs);
  free(s->path);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

vsc_schema_origin vsc_schema_get_origin(const vsc_schema *s)
{
  return s->origin;
}

const char *vsc_schema_get_path(const vsc_schema *s)
{
  return s->path;
}

/* --- validating and explaining ---------------------------------------- */

typedef struct {
  xmlNodePtr node;   /* element, or NULL */
  char *message;
} rng_error;

typedef struct {
  rng_error *items;
  size_t n;
} rng_errors;

static void rng_errors_clear(rng_errors *e)
{
  for (size_t i = 0; i < e->n; i++)
    free(e->items[i].message);
  free(e->items);
  e->items = NULL;
  e->n = 0;
}

static void record_error(void *opaque, xmlErrorPtr err)
{
  rng_errors *e = opaque;
  rng_error *item = vsc_append(&e->items, &e->n, sizeof(*item));
  xmlNodePtr node = err->node;
  item->node = node && node->type == XML_ELEMENT_NODE ? node : NULL;
  const char *m = err->message ? err->message : "invalid";
  size_t n = strlen(m);
  while (n > 0 && isspace((unsigned char)m[n - 1]))
    n--;
  item->message = vsc_strndup(m, n);
}

/* Validate; true when valid.  errs gets the messages (cleared first). */
static bool validate(xmlRelaxNGPtr grammar, xmlDocPtr doc, rng_errors *errs)
{
  rng_errors_clear(errs);
  xmlRelaxNGValidCtxtPtr v = xmlRelaxNGNewValidCtxt(grammar);
  xmlRelaxNGSetValidStructuredErrors(v, record_error, errs);
  int rc = xmlRelaxNGValidateDoc(v, doc);
  xmlRelaxNGFreeValidCtxt(v);
  return rc == 0;
}

/* libxml2 validates the interleave of <devices> in time quadratic in its
 * children, so a document with many devices is validated in slices: the
 * devices of a name seen at most FEW times are in every slice (a second
 * <emulator> still fails), the others go by name, SLICE at a time and at
 * least two of a name in a slice (a name allowed once still fails).  The
 * interleave holds no rule across names, so the verdict is the whole
 * document's; the cost is n log n. */
enum { SLICE = 256, FEW = 4 };

/* Link nodes[0..n) as the children of parent, in that order (by hand:
 * xmlAddChild would merge adjacent text nodes). */
static void set_children(xmlNodePtr parent, xmlNodePtr *nodes, size_t n)
{
  parent->children = n ? nodes[0] : NULL;
  parent->last = n ? nodes[n - 1] : NULL;
  for (size_t i = 0; i < n; i++) {
    nodes[i]->parent = parent;
    nodes[i]->prev = i ? nodes[i - 1] : NULL;
    nodes[i]->next = i + 1 < n ? nodes[i + 1] : NULL;
  }
}

typedef struct {
  xmlNodePtr node;
  size_t index;
} named_node;

static int by_name(const void *a, const void *b)
{
  const named_node *x = a, *y = b;
  int c = strcmp((const char *)x->node->name, (const char *)y->node->name);
  return c ? c : (x->index > y->index) - (x->index < y->index);
}

static bool same_name(xmlNodePtr node, const char *name)
{
  return strcmp((const char *)node->name, name) == 0;
}

typedef struct {
  xmlRelaxNGPtr grammar;
  xmlDocPtr doc;
  xmlNodePtr devices;
  rng_errors *errs;
  xmlNodePtr *slice;       /* the few, then room for a slice */
  size_t nfew;
  named_node *many;        /* the others, grouped by name */
} slicer;

/* Validate with the children of <devices> the few and many[lo..hi). */
static bool try_slice(slicer *s, size_t lo, size_t hi)
{
  for (size_t k = lo; k < hi; k++)
    s->slice[s->nfew + k - lo] = s->many[k].node;
  set_children(s->devices, s->slice, s->nfew + hi - lo);
  return validate(s->grammar, s->doc, s->errs);
}

/* Validate doc (whose <devices> is devices, or NULL) as libvirt's schema
 * would the whole.  On a failure, when shrink, doc keeps a small part of
 * its devices that fails alone (the rest freed), for explain(): doc must
 * then be a copy the caller may change. */
static bool validate_sliced(xmlRelaxNGPtr grammar, xmlDocPtr doc, xmlNodePtr devices, rng_errors *errs,
                            bool shrink)
{
  size_t nall = 0, nelems = 0;
  for (xmlNodePtr c = devices ? devices->children : NULL; c; c = c->next, nall++)
    nelems += c->type == XML_ELEMENT_NODE;
  if (nelems <= 2 * SLICE)
    return validate(grammar, doc, errs);

  vsc_strset names = { 0 };
  xmlNodePtr *all = vsc_calloc(nall, sizeof(xmlNodePtr));
  bool *kept = vsc_calloc(nall, sizeof(*kept));
  slicer s = { .grammar = grammar, .doc = doc, .devices = devices, .errs = errs,
               .slice = vsc_calloc(2 * SLICE + 2, sizeof(xmlNodePtr)),
               .many = vsc_calloc(nelems, sizeof(named_node)) };
  size_t nmany = 0, i = 0;
  for (xmlNodePtr c = devices->children; c; c = c->next) {
    all[i++] = c;
    if (c->type == XML_ELEMENT_NODE)
      vsc_strset_add(&names, (const char *)c->name);
  }
  for (i = 0; i < nall; i++) {
    if (all[i]->type != XML_ELEMENT_NODE)
      continue;
    if (vsc_strset_count(&names, (const char *)all[i]->name) > FEW)
      s.many[nmany++] = (named_node){ all[i], i };
    else if (s.nfew < SLICE)
      kept[i] = true, s.slice[s.nfew++] = all[i];
    else
      break;  /* hundreds of names libvirt does not have */
  }
  bool ok = true, sliced = i == nall;
  size_t lo = 0, hi = 0;
  if (!sliced) {
    set_children(devices, all, nall);
    ok = validate(grammar, doc, errs);
  }
  qsort(s.many, nmany, sizeof(*s.many), by_name);
  for (size_t at = 0, end; sliced && ok && at < nmany; at = end) {
    const char *name = (const char *)s.many[at].node->name;
    for (end = at; end < nmany && end - at < SLICE && same_name(s.many[end].node, name); end++)
      ;
    /* a name's last element is not left alone in a slice */
    if (end < nmany && same_name(s.many[end].node, name) &&
        (end + 1 == nmany || !same_name(s.many[end + 1].node, name)))
      end++;
    ok = try_slice(&s, at, end);
    lo = at, hi = end;
  }
  if (ok || !shrink || !sliced) {
    set_children(devices, all, nall);
  } else {
    /* halve the failing slice while a half fails alone */
    if (!try_slice(&s, 0, 0))
      hi = lo;
    while (hi - lo > 2) {
      size_t mid = lo + (hi - lo) / 2;
      if (!try_slice(&s, lo, mid))
        hi = mid;
      else if (!try_slice(&s, mid, hi))
        lo = mid;
      else
        break;
    }
    for (size_t k = lo; k < hi; k++)
      kept[s.many[k].index] = true;
    for (i = 0; i < nall; i++)
      if (!kept[i])
        xmlFreeNode(all[i]);
    size_t n = 0;
    for (i = 0; i < nall; i++)
      if (kept[i])
        all[n++] = all[i];
    set_children(devices, all, n);
    ok = validate(grammar, doc, errs);
  }
  vsc_strset_clear(&names);
  free(all);
  free(kept);
  free(s.slice);
  free(s.many);
  return ok;
}

static bool inside(xmlNodePtr node, xmlNodePtr subtree)
{
  for (; node; node = node->parent)
    if (node == subtree)
      return true;
  return false;
}

/* Whether any error points into subtree. */
static bool touches(const rng_errors *errs, xmlNodePtr subtree)
{
  for (size_t i = 0; i < errs->n; i++)
    if (errs->items[i].node && inside(errs->items[i].node, subtree))
      return true;
  return false;
}

static int depth(xmlNodePtr n)
{
  int d = 0;
  for (; n && n->type == XML_ELEMENT_NODE; n = n->parent)
    d++;
  return d;
}

/* libxml2's messages, most telling first. */
static int message_rank(const char *m)
{
  static const char *const weak[] = { "failed to validate content", "Invalid sequence in interleave",
                                      "failed to validate attributes", "Extra element" };
  for (size_t i = 0; i < VSC_N_ELEMENTS(weak); i++)
    if (strstr(m, weak[i]))
      return (int)i + 1;
  return 0;
}

static const rng_error *deepest(const rng_errors *errs)
{
  const rng_error *best = NULL;
  for (size_t i = 0; i < errs->n; i++) {
    const rng_error *e = &errs->items[i];
    if (!e->node)
      continue;
    if (!best || depth(e->node) > depth(best->node) ||
        (depth(e->node) == depth(best->node) && message_rank(e->message) < message_rank(best->message)))
      best = e;
  }
  return best;
}

/* The best message libxml2 gave about node, tidied for a diagnostic. */
static char *message_about(const rng_errors *errs, xmlNodePtr node)
{
  const char *best = NULL;
  for (size_t i = 0; i < errs->n; i++)
    if (errs->items[i].node == node && (!best || message_rank(errs->items[i].message) < message_rank(best)))
      best = errs->items[i].message;
  if (!best && errs->n)
    best = errs->items[0].message;
  if (!best)
    return vsc_asprintf("<%s> does not match the schema", (const char *)node->name);
  if (strstr(best, "failed to validate attributes"))
    return vsc_asprintf("<%s> lacks an attribute the schema requires, or has one it does not take",
                        (const char *)node->name);
  if (message_rank(best) > 0)
    return vsc_asprintf("<%s> does not match the schema: its content or attributes are not what "
                        "the grammar takes here", (const char *)node->name);
  char *m = vsc_asprintf("<%s>: %s", (const char *)node->name, best);
  char *after = strstr(m, ": ");
  if (after && isupper((unsigned char)after[2]) && !isupper((unsigned char)after[3]))
    after[2] = (char)tolower((unsigned char)after[2]);
  return m;
}

typedef struct {
  const vsc_schema *schema;
  xmlRelaxNGPtr grammar;
  xmlDocPtr doc;
  rng_errors errs;
  const char *file;
  vsc_diags *diags;
  size_t reported;
} explainer;

static void report(explainer *x, xmlNodePtr node, const char *hint, const char *msg)
{
  vsc_loc loc = { .file = x->file, .line = node ? (int)xmlGetLineNo(node) : 0 };
  vsc_error(x->diags, &loc, "schema", hint, "%s", msg);
  x->reported++;
}

/* Whether the copy, as changed by a probe, is better: valid, or with
 * fewer errors of which none is about node any more.  x->errs holds the
 * errors before the change; trial gets those after. */
static bool improved(explainer *x, xmlNodePtr node, rng_errors *trial)
{
  if (validate(x->grammar, x->doc, trial))
    return true;
  return trial->n < x->errs.n && !touches(trial, node);
}

static const attr_values *values_for(const vsc_schema *s, const char *element, const char *name)
{
  for (size_t i = 0; i < s->nattrs; i++)
    if (strcmp(s->attrs[i].element, element) == 0 && strcmp(s->attrs[i].name, name) == 0)
      return &s->attrs[i];
  return NULL;
}

/* Probe 1: another value of one attribute.  Reports and keeps the first
 * accepted value in the copy (so the next round finds the next problem). */
static bool probe_values(explainer *x, xmlNodePtr node)
{
  for (xmlAttrPtr a = node->properties; a; a = a->next) {
    const attr_values *cands = values_for(x->schema, (const char *)node->name, (const char *)a->name);
    if (!cands)
      continue;
    xmlChar *orig = xmlNodeGetContent((xmlNodePtr)a);
    vsc_buf ok = { 0 };
    size_t nok = 0;
    const char *first = NULL;
    rng_errors trial = { 0 };
    for (size_t i = 0; i < cands->nvalues; i++) {
      const char *v = cands->values[i];
      if (xmlStrEqual(orig, BAD_CAST v))
        continue;
      xmlSetProp(node, a->name, BAD_CAST v);
      if (improved(x, node, &trial)) {
        if (!first)
          first = v;
        if (nok < MAX_LISTED)
          vsc_buf_printf(&ok, "%s'%s'", nok ? ", " : "", v);
        nok++;
      }
    }
    rng_errors_clear(&trial);
    if (nok) {
      if (nok > MAX_LISTED)
        vsc_buf_add(&ok, ", ...");
      VSC_AUTOFREE(char) list = vsc_buf_steal(&ok);
      /* A value the grammar knows for this attribute may still need
       * other attributes with it (guestfwd needs address and port). */
      bool known = false;
      for (size_t i = 0; i < cands->nvalues && !known; i++)
        known = xmlStrEqual(orig, BAD_CAST cands->values[i]);
      VSC_AUTOFREE(char) msg = vsc_asprintf("<%s %s='%s'> does not match the schema; with the other "
                                            "attributes as they are, %s takes %s%s",
                                            (const char *)node->name, (const char *)a->name,
                                            (const char *)orig, (const char *)a->name,
                                            nok == 1 ? "" : "one of ", list);
      VSC_AUTOFREE(char) hint = known ? vsc_asprintf("%s='%s' may need attributes this <%s> lacks; see "
                                                     "libvirt's formatdomain documentation",
                                                     (const char *)a->name, (const char *)orig,
                                                     (const char *)node->name)
                                      : vsc_asprintf("use %s='%s'%s", (const char *)a->name, first,
                                                     nok == 1 ? "" : " or another value listed");
      report(x, node, hint, msg);
      xmlSetProp(node, a->name, BAD_CAST first);
      xmlFree(orig);
      return true;
    }
    vsc_buf_clear(&ok);
    xmlSetProp(node, a->name, orig);
    xmlFree(orig);
  }
  return false;
}

/* Probe 2: the element without one of its attributes. */
static bool probe_attribute_removal(explainer *x, xmlNodePtr node)
{
  /* Names first: unsetting and restoring reorders the attribute list. */
  char **names = NULL;
  size_t n = 0;
  bool fixed = false;
  rng_errors trial = { 0 };
  for (xmlAttrPtr a = node->properties; a; a = a->next)
    *(char **)vsc_append(&names, &n, sizeof(char *)) = vsc_strdup((const char *)a->name);
  for (size_t i = 0; i < n && !fixed; i++) {
    xmlChar *orig = xmlGetNoNsProp(node, BAD_CAST names[i]);
    if (!orig)
      continue;
    xmlUnsetProp(node, BAD_CAST names[i]);
    fixed = improved(x, node, &trial);
    if (fixed) {
      VSC_AUTOFREE(char) msg = vsc_asprintf("<%s> does not take the attribute %s='%s' here",
                                            (const char *)node->name, names[i], (const char *)orig);
      VSC_AUTOFREE(char) hint = vsc_asprintf("remove %s, or check its spelling", names[i]);
      report(x, node, hint, msg);
    } else {
      xmlSetProp(node, BAD_CAST names[i], orig);
    }
    xmlFree(orig);
  }
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  rng_errors_clear(&trial);
  return fixed;
}

/* Values of no particular meaning that fit most of the grammar's data
 * types (names, numbers, paths, switches). */
static const char *const dummies[] = { "x", "1", "/x", "yes", "on", "10.0.2.1" };

/* Probe: a value of another form for an attribute whose value the
 * grammar checks by type or pattern rather than by a list. */
static bool probe_value_form(explainer *x, xmlNodePtr node)
{
  rng_errors trial = { 0 };
  for (xmlAttrPtr a = node->properties; a; a = a->next) {
    xmlChar *orig = xmlNodeGetContent((xmlNodePtr)a);
    for (size_t i = 0; i < VSC_N_ELEMENTS(dummies); i++) {
      if (xmlStrEqual(orig, BAD_CAST dummies[i]))
        continue;
      xmlSetProp(node, a->name, BAD_CAST dummies[i]);
      if (improved(x, node, &trial)) {
        VSC_AUTOFREE(char) msg = vsc_asprintf("<%s %s='%s'>: the value does not have the form the schema "
                                              "takes for %s here", (const char *)node->name,
                                              (const char *)a->name, (const char *)orig, (const char *)a->name);
        VSC_AUTOFREE(char) hint = vsc_asprintf("check the form of %s in libvirt's formatdomain documentation "
                                               "(characters, number, absolute path)", (const char *)a->name);
        report(x, node, hint, msg);
        xmlFree(orig);
        rng_errors_clear(&trial);
        return true;
      }
    }
    xmlSetProp(node, a->name, orig);
    xmlFree(orig);
  }
  rng_errors_clear(&trial);
  return false;
}

/* Probe: an attribute the grammar declares for this element, added. */
static bool probe_attribute_addition(explainer *x, xmlNodePtr node)
{
  rng_errors trial = { 0 };
  for (size_t i = 0; i < x->schema->nattrs; i++) {
    const attr_values *av = &x->schema->attrs[i];
    if (strcmp(av->element, (const char *)node->name) != 0 || xmlHasProp(node, BAD_CAST av->name))
      continue;
    size_t n = av->nvalues ? av->nvalues : VSC_N_ELEMENTS(dummies);
    for (size_t k = 0; k < n && k < 64; k++) {
      const char *v = av->nvalues ? av->values[k] : dummies[k];
      xmlSetProp(node, BAD_CAST av->name, BAD_CAST v);
      if (improved(x, node, &trial)) {
        VSC_AUTOFREE(char) msg = vsc_asprintf("<%s> lacks the attribute %s, which the schema requires here",
                                              (const char *)node->name, av->name);
        VSC_AUTOFREE(char) hint = av->nvalues ? vsc_asprintf("add %s='%s' (or another value libvirt takes)", av->name, v)
                                              : vsc_asprintf("add %s='...'", av->name);
        report(x, node, hint, msg);
        rng_errors_clear(&trial);
        return true;
      }
      xmlUnsetProp(node, BAD_CAST av->name);
    }
  }
  rng_errors_clear(&trial);
  return false;
}

/* The probes that keep the element, on node itself. */
static bool probe_in_place(explainer *x, xmlNodePtr node)
{
  return probe_values(x, node) || probe_value_form(x, node) || probe_attribute_removal(x, node) ||
         probe_attribute_addition(x, node);
}

/* libxml2 sometimes blames the parent of the element at fault (a
 * missing attribute inside an interleave): try the children too. */
static bool probe_children(explainer *x, xmlNodePtr node)
{
  for (xmlNodePtr c = node->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && probe_in_place(x, c))
      return true;
  return false;
}

/* Probe 3: the parent without this element. */
static bool probe_element_removal(explainer *x, xmlNodePtr node)
{
  xmlNodePtr parent = node->parent;
  if (!parent || parent->type != XML_ELEMENT_NODE)
    return false;
  xmlNodePtr next = node->next;
  int line = (int)xmlGetLineNo(node);
  xmlUnlinkNode(node);
  rng_errors trial = { 0 };
  bool fixed = improved(x, parent, &trial);
  rng_errors_clear(&trial);
  if (!fixed) {
    if (next)
      xmlAddPrevSibling(next, node);
    else
      xmlAddChild(parent, node);
    return false;
  }
  VSC_AUTOFREE(char) msg = vsc_asprintf("<%s> does not take a <%s> element here%s", (const char *)parent->name,
                                        (const char *)node->name,
                                        " (unknown, repeated, or not allowed with the other settings)");
  VSC_AUTOFREE(char) hint = vsc_asprintf("remove this <%s>, or check its spelling and place", (const char *)node->name);
  vsc_loc loc = { .file = x->file, .line = line };
  vsc_error(x->diags, &loc, "schema", hint, "%s", msg);
  x->reported++;
  xmlFreeNode(node);
  return true;
}

/* The element without one of its children, the last first: of two
 * <log> elements, the second is the one to blame. */
static bool probe_child_removal(explainer *x, xmlNodePtr node)
{
  for (xmlNodePtr c = node->last; c; c = c->prev)
    if (c->type == XML_ELEMENT_NODE && probe_element_removal(x, c))
      return true;
  return false;
}

/* Explain why doc (a copy we may change) fails the grammar; one
 * diagnostic per problem found. */
static void explain(explainer *x)
{
  for (int round = 0; round < MAX_ROUNDS; round++) {
    if (validate(x->grammar, x->doc, &x->errs))
      break;
    const rng_error *e = deepest(&x->errs);
    xmlNodePtr node = e ? e->node : xmlDocGetRootElement(x->doc);
    /* An element that is out of place may be right but for its
     * children: look into them before blaming the element itself. */
    if (probe_in_place(x, node) || probe_children(x, node) || probe_element_removal(x, node) ||
        probe_child_removal(x, node))
      continue;
    VSC_AUTOFREE(char) msg = message_about(&x->errs, node);
    report(x, node, "compare the element with libvirt's documentation (formatdomain)", msg);
    break;
  }
  if (x->reported == 0) {
    VSC_AUTOFREE(char) msg = message_about(&x->errs, xmlDocGetRootElement(x->doc));
    report(x, xmlDocGetRootElement(x->doc), NULL, msg);
  }
  rng_errors_clear(&x->errs);
}

static size_t explain_copy(const vsc_schema *schema, xmlRelaxNGPtr grammar, xmlDocPtr copy, const char *file,
                           vsc_diags *diags)
{
  explainer x = { .schema = schema, .grammar = grammar, .doc = copy, .file = file, .diags = diags };
  explain(&x);
  return x.reported;
}

size_t vsc_schema_check(const vsc_schema *schema, xmlDocPtr doc, const char *file, vsc_diags *diags,
                        xmlNodePtr **bad, size_t *nbad)
{
  xmlNodePtr root = xmlDocGetRootElement(doc);
  bool is_domain = xmlStrEqual(root->name, BAD_CAST "domain");
  xmlRelaxNGPtr whole = schema->domain;
  rng_errors errs = { 0 };
  size_t reported = 0;

  if (!is_domain) {
    if (!prepare(schema)) {
      vsc_loc loc = { .file = file };
      vsc_error_io(diags, &loc, "io", NULL, "cannot compile the device grammar from '%s'", schema->path);
      return 1;
    }
    whole = schema->fragment;
  }
  xmlNodePtr devices = is_domain ? vsc_xml_child(root, "devices")
                                 : vsc_xml_is_element(root, "devices") ? root : NULL;
  bool ok = validate_sliced(whole, doc, devices, &errs, false);
  rng_errors_clear(&errs);
  if (ok)
    return 0;
  if (!prepare(schema)) {
    vsc_loc loc = { .file = file };
    vsc_error(diags, &loc, "schema", NULL, "the document does not match the schema '%s'", schema->path);
    return 1;
  }

  if (!devices) {
    VSC_AUTOPTR(xmlDoc) copy = xmlCopyDoc(doc, 1);
    reported += explain_copy(schema, whole, copy, file, diags);
    if (!is_domain)
      *(xmlNodePtr *)vsc_append(bad, nbad, sizeof(xmlNodePtr)) = root;
    return reported;
  }

  /* Each device on its own, against the fragment grammar. */
  size_t first_bad = *nbad;
  for (xmlNodePtr c = devices->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE)
      continue;
    VSC_AUTOPTR(xmlDoc) single = xmlNewDoc(BAD_CAST "1.0");
    xmlDocSetRootElement(single, xmlDocCopyNode(c, single, 1));
    if (validate(schema->fragment, single, &errs))
      continue;
    reported += explain_copy(schema, schema->fragment, single, file, diags);
    *(xmlNodePtr *)vsc_append(bad, nbad, sizeof(xmlNodePtr)) = c;
  }
  rng_errors_clear(&errs);

  /* The rest of the document without the devices already explained. */
  VSC_AUTOPTR(xmlDoc) copy = xmlCopyDoc(doc, 1);
  xmlNodePtr copy_devices = is_domain ? vsc_xml_child(xmlDocGetRootElement(copy), "devices")
                                      : xmlDocGetRootElement(copy);
  /* bad holds the explained devices in document order */
  size_t next_bad = first_bad;
  for (xmlNodePtr o = devices->children, c = copy_devices->children; o && c;) {
    xmlNodePtr onext = o->next, cnext = c->next;
    if (next_bad < *nbad && (*bad)[next_bad] == o) {
      xmlUnlinkNode(c);
      xmlFreeNode(c);
      next_bad++;
    }
    o = onext;
    c = cnext;
  }
  if (!validate_sliced(whole, copy, copy_devices, &errs, true))
    reported += explain_copy(schema, whole, copy, file, diags);
  rng_errors_clear(&errs);
  return reported;
}
