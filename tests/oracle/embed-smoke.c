/* vsct-embed-smoke ROOT: prove the embed helper can run a real domain on
 * this machine: start the minimal domain with a unix virtio channel and a
 * spicevmc channel, check QEMU created the socket and the live XML shows
 * the channel on a virtio-serial port, then stop and undefine it.  Prints
 * the time each step took.  Exit 77 when libvirt's driver cannot run here
 * (1 when CI is set). */
#include "embed.h"
#include "test.h"

#include "util/mem.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int fail(vsct_embed *e, virDomainPtr dom, const char *what) {
  fprintf(stderr, "vsct-embed-smoke: %s: %s\n", what, vsct_embed_error(e));
  vsct_embed_destroy_undefine(e, dom);
  vsct_embed_close(e);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: vsct-embed-smoke ROOT\n");
    return 2;
  }
  const char *root = argv[1];
  double t = now();
  char *error = NULL;
  vsct_embed *e = vsct_embed_open(root, &error);
  if (!e) {
    int rc = vsct_skip("vsct-embed-smoke: %s", error);
    free(error);
    return rc;
  }
  bool kvm = vsct_embed_has_kvm(e);
  printf("open: %.2f s (accel %s)\n", now() - t, kvm ? "kvm" : "tcg");

  VSC_AUTOFREE(char) sock = vsc_asprintf("%s/smoke.sock", root);
  VSC_AUTOFREE(char) devices = vsc_asprintf(
    "<channel type='unix'><source mode='bind' path='%s'/>"
    "<target type='virtio' name='org.vschan.smoke'/><alias name='ua-smoke'/></channel>"
    "<channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>",
    sock);
  VSC_AUTOFREE(char) xml = vsct_embed_minimal_domain_xml(e, "vsct-smoke", devices, true);
  if (!xml)
    return fail(e, NULL, "build");
  virDomainPtr dom = vsct_embed_define(e, xml);
  if (!dom)
    return fail(e, NULL, "define");

  t = now();
  if (vsct_embed_start(e, dom) < 0)
    return fail(e, dom, "start");
  printf("start: %.2f s\n", now() - t);

  struct stat st;
  if (stat(sock, &st) != 0 || !S_ISSOCK(st.st_mode)) {
    fprintf(stderr, "vsct-embed-smoke: QEMU did not create '%s'\n", sock);
    vsct_embed_destroy_undefine(e, dom);
    vsct_embed_close(e);
    return 1;
  }
  VSC_AUTOFREE(char) live = vsct_embed_live_xml(e, dom);
  if (!live)
    return fail(e, dom, "live XML");
  if (!strstr(live, "<alias name='ua-smoke'/>") || !strstr(live, "type='virtio-serial'")) {
    fprintf(stderr, "vsct-embed-smoke: the live XML lacks the channel:\n%s\n", live);
    vsct_embed_destroy_undefine(e, dom);
    vsct_embed_close(e);
    return 1;
  }

  t = now();
  if (vsct_embed_destroy_undefine(e, dom) < 0)
    return fail(e, NULL, "destroy");
  printf("destroy+undefine: %.2f s\n", now() - t);
  vsct_embed_close(e);
  printf("ok\n");
  return 0;
}
