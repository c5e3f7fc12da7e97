/* Many files on several threads, results handed out in order.
 *
 * Workers take the next index; a worker may run at most WINDOW files
 * ahead of the oldest result not yet handed out, so the results held at
 * once (and so memory) are bounded by the number of threads, not by the
 * number of files. */
#include "validate.h"

#include "util/mem.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  vsc_validate_result res;
  bool ready;
} slot;

typedef struct {
  char *const *paths;
  size_t n;
  const vsc_validate_opts *opts;
  pthread_mutex_t lock;
  pthread_cond_t changed;
  size_t next;       /* next index to take */
  size_t delivered;  /* results handed out so far */
  size_t window;
  slot *slots;       /* ring of window slots, by index % window */
} runner;

static void *worker(void *opaque)
{
  runner *r = opaque;
  pthread_mutex_lock(&r->lock);
  for (;;) {
    while (r->next < r->n && r->next >= r->delivered + r->window)
      pthread_cond_wait(&r->changed, &r->lock);
    if (r->next >= r->n)
      break;
    size_t i = r->next++;
    pthread_mutex_unlock(&r->lock);

    vsc_validate_result res;
    vsc_validate_file(r->paths[i], r->opts, &res);

    pthread_mutex_lock(&r->lock);
    r->slots[i % r->window].res = res;
    r->slots[i % r->window].ready = true;
    pthread_cond_broadcast(&r->changed);
  }
  pthread_mutex_unlock(&r->lock);
  return NULL;
}

static unsigned int cores(void)
{
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned int)n : 1;
}

static void run_here(char *const *paths, size_t n, const vsc_validate_opts *opts, vsc_validate_done_fn done,
                     void *opaque)
{
  for (size_t i = 0; i < n; i++) {
    vsc_validate_result res;
    vsc_validate_file(paths[i], opts, &res);
    done(i, &res, opaque);
    vsc_validate_result_clear(&res);
  }
}

void vsc_validate_run(char *const *paths, size_t n, unsigned int jobs, const vsc_validate_opts *opts,
                      vsc_validate_done_fn done, void *opaque)
{
  if (jobs == 0)
    jobs = cores();
  if (jobs > n)
    jobs = n ? (unsigned int)n : 1;
  if (jobs <= 1) {
    run_here(paths, n, opts, done, opaque);
    return;
  }

  runner r = { .paths = paths, .n = n, .opts = opts, .window = (size_t)jobs * 4 };
  r.slots = vsc_calloc(r.window, sizeof(slot));
  pthread_mutex_init(&r.lock, NULL);
  pthread_cond_init(&r.changed, NULL);
  pthread_t *threads = vsc_calloc(jobs, sizeof(pthread_t));
  unsigned int started = 0;
  for (unsigned int t = 0; t < jobs; t++)
    if (pthread_create(&threads[t], NULL, worker, &r) == 0)
      started++;
    else
      break;
  if (started == 0) {
    /* No thread could be made: do the work here, in order. */
    free(threads);
    free(r.slots);
    pthread_mutex_destroy(&r.lock);
    pthread_cond_destroy(&r.changed);
    run_here(paths, n, opts, done, opaque);
    return;
  }

  pthread_mutex_lock(&r.lock);
  while (r.delivered < n) {
    slot *s = &r.slots[r.delivered % r.window];
    while (!s->ready)
      pthread_cond_wait(&r.changed, &r.lock);
    vsc_validate_result res = s->res;
    s->ready = false;
    size_t i = r.delivered;
    pthread_mutex_unlock(&r.lock);
    done(i, &res, opaque);
    vsc_validate_result_clear(&res);
    pthread_mutex_lock(&r.lock);
    r.delivered++;
    pthread_cond_broadcast(&r.changed);
  }
  pthread_mutex_unlock(&r.lock);

  for (unsigned int t = 0; t < started; t++)
    pthread_join(threads[t], NULL);
  free(threads);
  free(r.slots);
  pthread_mutex_destroy(&r.lock);
  pthread_cond_destroy(&r.changed);
}
