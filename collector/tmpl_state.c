/*
 * tmpl_state.c - the template cache's state file (fw_tmpl_cache_save/_load
 * in fw_tmpl.h), so a restart does not wait a template refresh interval
 * before decoding v9/IPFIX data again.
 *
 * File format (big-endian), written whole then renamed into place:
 *   OFFSET SIZE FIELD
 *   0      8    magic "FWTMPLC2"
 *   8      4    template count T
 *   then T times, least recently used for data first:
 *          1    version (9 | 10)     1 options (0 | 1)    2 template id
 *          16   exporter address     4 domain
 *          8    last defined or refreshed, unix ms (signed)
 *          8    last used for data, unix ms (signed)
 *          2    scope field count    2 field count N
 *          N x (2 type, 2 length, 4 enterprise number)
 *   4      sampler count S
 *   then S times:
 *          1 version, 3 zero, 16 exporter address, 4 domain, 8 sampler id, 4 rate
 * Only proven templates (lru[1]) are written: templates that never carried
 * data, such as a spoofed flood's, do not outlive the process.
 *
 * The cache is seen only through tmpl_int.h's view (fw_tmpl_each_proven,
 * fw_tmpl_restore, ...): a loaded template is learnt as if it had arrived,
 * so it is compiled and checked as any other.  Calling thread: the cache's.
 */
#include "fw_tmpl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_cur.h"
#include "tmpl_int.h"

#define SAVE_MAGIC "FWTMPLC2"
#define SAVE_TMPL_FIXED 44u   /* bytes of a template record before its fields */

struct wbuf {
	uint8_t *p;
	size_t n, cap;
};

static void
put(struct wbuf *w, uint64_t v, unsigned len)
{
	for (unsigned i = 0; i < len && w->n < w->cap; i++)
		w->p[w->n++] = (uint8_t)(v >> (8 * (len - 1 - i)));
}

static void
put_bytes(struct wbuf *w, const void *b, size_t len)
{
	if (w->cap - w->n >= len) {
		memcpy(w->p + w->n, b, len);
		w->n += len;
	}
}

/* Sizing pass: bytes and counts of what save writes. */
struct sizing {
	size_t bytes;
	uint32_t ntm, nsm;
};

static void
size_tmpl(void *ctx, const struct fw_tmpl_saved *t)
{
	struct sizing *z = ctx;

	z->bytes += SAVE_TMPL_FIXED + (size_t)t->nspecs * 8;
	z->ntm++;
}

static void
size_sampler(void *ctx, const struct fw_tmpl_saved_sampler *s)
{
	struct sizing *z = ctx;

	(void)s;
	z->bytes += 36;
	z->nsm++;
}

static void
put_tmpl(void *ctx, const struct fw_tmpl_saved *t)
{
	struct wbuf *w = ctx;

	put(w, t->version, 1);
	put(w, t->options, 1);
	put(w, t->id, 2);
	put_bytes(w, t->addr, 16);
	put(w, t->domain, 4);
	put(w, (uint64_t)t->updated_ms, 8);
	put(w, (uint64_t)t->used_ms, 8);
	put(w, t->nscope, 2);
	put(w, t->nspecs, 2);
	for (uint16_t j = 0; j < t->nspecs; j++) {
		put(w, t->specs[j].type, 2);
		put(w, t->specs[j].len, 2);
		put(w, t->specs[j].pen, 4);
	}
}

static void
put_sampler(void *ctx, const struct fw_tmpl_saved_sampler *s)
{
	struct wbuf *w = ctx;

	put(w, s->version, 1);
	put(w, 0, 3);
	put_bytes(w, s->addr, 16);
	put(w, s->domain, 4);
	put(w, s->id, 8);
	put(w, s->rate, 4);
}

int
fw_tmpl_cache_save(const struct fw_tmpl_cache *c, const char *path)
{
	struct sizing z = { 8 + 4 + 4, 0, 0 };
	struct wbuf w = { NULL, 0, 0 };
	char tmp[4096];
	FILE *fp = NULL;
	int err = FW_OK;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return FW_EINVAL;
	fw_tmpl_each_proven(c, size_tmpl, &z);
	fw_tmpl_each_sampler(c, size_sampler, &z);
	w.cap = z.bytes;
	if ((w.p = malloc(w.cap)) == NULL)
		return FW_ENOMEM;
	put_bytes(&w, SAVE_MAGIC, 8);
	put(&w, z.ntm, 4);
	fw_tmpl_each_proven(c, put_tmpl, &w);
	put(&w, z.nsm, 4);
	fw_tmpl_each_sampler(c, put_sampler, &w);
	if (w.n != w.cap) {  /* our own sizing is wrong */
		err = FW_EINVAL;
		goto out;
	}
	if ((fp = fopen(tmp, "wb")) == NULL) {
		err = -errno;
		goto out;
	}
	if (fwrite(w.p, 1, w.n, fp) != w.n || fflush(fp) != 0) {
		err = errno ? -errno : FW_EIO;
		goto out;
	}
	if (fclose(fp) != 0) {
		fp = NULL;
		err = -errno;
		goto out;
	}
	fp = NULL;
	if (rename(tmp, path) != 0)
		err = -errno;
out:
	if (fp != NULL)
		fclose(fp);
	if (err != FW_OK)
		remove(tmp);
	free(w.p);
	return err;
}

#define LOAD_MAX_BYTES (64u << 20)

int
fw_tmpl_cache_load(struct fw_tmpl_cache *c, const char *path, int64_t now_ms)
{
	struct fw_tmpl_spec specs[FW_TMPL_MAX_FIELDS];
	struct fw_flow_dec_stats st;
	struct fw_tmpl_msg m;
	struct fw_cur cur;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *fp;
	uint32_t n;
	uint8_t options;
	int err = FW_OK;

	if ((fp = fopen(path, "rb")) == NULL)
		return -errno;
	for (;;) {  /* read it all; it is small and bounded */
		size_t got;

		if (len == cap) {
			uint8_t *nb;

			if (cap >= LOAD_MAX_BYTES) {
				err = FW_EMALFORMED;
				goto out;
			}
			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(buf, cap)) == NULL) {
				err = FW_ENOMEM;
				goto out;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, fp);
		len += got;
		if (got == 0) {
			if (ferror(fp))
				err = FW_EIO;
			break;
		}
	}
	if (err != FW_OK)
		goto out;
	cur = fw_cur_make(buf, len);
	{
		const uint8_t *magic = fw_cur_take(&cur, 8);

		if (magic == NULL || memcmp(magic, SAVE_MAGIC, 8) != 0) {
			err = FW_EMALFORMED;
			goto out;
		}
	}
	memset(&st, 0, sizeof(st));
	memset(&m, 0, sizeof(m));
	m.c = c;
	m.st = &st;
	m.pending = -1;
	m.arrival_ms = now_ms;
	n = fw_cur_u32(&cur);
	for (uint32_t i = 0; i < n && cur.err == FW_OK; i++) {
		struct fw_tmpl_saved t;

		t.version = fw_cur_u8(&cur);
		options = fw_cur_u8(&cur);
		t.options = options != 0;
		t.id = fw_cur_u16(&cur);
		fw_cur_copy(&cur, t.addr, 16);
		t.domain = fw_cur_u32(&cur);
		t.updated_ms = (int64_t)fw_cur_u64(&cur);
		t.used_ms = (int64_t)fw_cur_u64(&cur);
		t.nscope = fw_cur_u16(&cur);
		t.nspecs = fw_cur_u16(&cur);
		if (cur.err != FW_OK)
			break;
		if ((t.version != 9 && t.version != 10) || options > 1 || t.id < 256 ||
		    t.nspecs == 0 || t.nspecs > FW_TMPL_MAX_FIELDS || t.nscope > t.nspecs ||
		    t.updated_ms < 0 || t.used_ms < 0) {
			err = FW_EMALFORMED;
			goto out;
		}
		for (uint16_t j = 0; j < t.nspecs; j++) {
			specs[j].type = fw_cur_u16(&cur);
			specs[j].len = fw_cur_u16(&cur);
			specs[j].pen = fw_cur_u32(&cur);
		}
		if (cur.err != FW_OK)
			break;
		t.specs = specs;
		/* Times from the future (clock stepped back) count as now. */
		t.updated_ms = t.updated_ms > now_ms ? now_ms : t.updated_ms;
		t.used_ms = t.used_ms > now_ms ? now_ms : t.used_ms;
		fw_tmpl_restore(&m, &t);
	}
	n = fw_cur_u32(&cur);
	for (uint32_t i = 0; i < n && cur.err == FW_OK; i++) {
		struct fw_tmpl_saved_sampler s;

		s.version = fw_cur_u8(&cur);
		fw_cur_skip(&cur, 3);
		fw_cur_copy(&cur, s.addr, 16);
		s.domain = fw_cur_u32(&cur);
		s.id = fw_cur_u64(&cur);
		s.rate = fw_cur_u32(&cur);
		if (cur.err != FW_OK)
			break;
		if ((s.version != 9 && s.version != 10) || s.rate == 0) {
			err = FW_EMALFORMED;
			goto out;
		}
		if (fw_tmpl_sampler_restore(c, &s, now_ms) != FW_OK) {
			err = FW_EFULL;
			goto out;
		}
	}
	if (cur.err != FW_OK)
		err = cur.err;
	else if (fw_cur_left(&cur) != 0 || st.err[FW_DEC_TEMPLATE] != 0)
		err = FW_EMALFORMED;  /* trailing bytes, or a template that does not compile */
	else if (st.err[FW_DEC_TMPL_FULL] != 0)
		err = FW_EFULL;
out:
	fclose(fp);
	free(buf);
	return err;
}
