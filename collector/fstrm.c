/*
 * fstrm.c - Frame Streams (the framing dnstap travels in): control frames
 * (READY, ACCEPT, START, STOP, FINISH with their content-type field), the
 * stream state machine the live listener runs over each client's buffer,
 * and whole-file reading for replay (libfstrm's file reader).
 * The frame layout is in fw_dnstap.h.
 */
#include "fw_dnstap.h"

#include <errno.h>
#include <fstrm.h>
#include <stdio.h>
#include <string.h>

#include "fw_cur.h"
#include "fw_log.h"

#define FSTRM_FIELD_CONTENT_TYPE 1

/* ---- Frame Streams control frames and stream state ---------------------- */

static int
ctype_is_dnstap(const uint8_t *p, size_t n)
{
	return n == sizeof(FW_DNSTAP_CONTENT_TYPE) - 1 &&
	    memcmp(p, FW_DNSTAP_CONTENT_TYPE, n) == 0;
}

int
fw_dnstap_control_parse(const uint8_t *p, size_t len, struct fw_dnstap_control *out)
{
	struct fw_cur c = fw_cur_make(p, len);

	memset(out, 0, sizeof(*out));
	if (len > FW_DNSTAP_CONTROL_MAX)
		return FW_EMALFORMED;
	out->type = fw_cur_u32(&c);
	if (c.err != FW_OK)
		return c.err;
	if (out->type < FW_FSTRM_ACCEPT || out->type > FW_FSTRM_FINISH)
		return FW_EMALFORMED;
	while (fw_cur_left(&c) > 0) {       /* each turn takes >= 8 bytes or fails */
		uint32_t ftype = fw_cur_u32(&c);
		uint32_t flen = fw_cur_u32(&c);
		const uint8_t *v;

		if (c.err != FW_OK)
			return c.err;
		if (ftype != FSTRM_FIELD_CONTENT_TYPE || flen > FW_DNSTAP_CTYPE_MAX)
			return FW_EMALFORMED;
		if ((v = fw_cur_take(&c, flen)) == NULL)
			return FW_ETRUNC;
		out->n_ctypes++;
		if (ctype_is_dnstap(v, flen))
			out->has_dnstap = true;
	}
	/* STOP and FINISH carry no fields; START names at most one type. */
	if ((out->type == FW_FSTRM_STOP || out->type == FW_FSTRM_FINISH) && out->n_ctypes > 0)
		return FW_EMALFORMED;
	if (out->type == FW_FSTRM_START && out->n_ctypes > 1)
		return FW_EMALFORMED;
	return FW_OK;
}

static void
put_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

size_t
fw_dnstap_control_build(uint8_t *buf, size_t cap, enum fw_fstrm_ctl type, const char *ctype)
{
	size_t clen = ctype ? strnlen(ctype, FW_DNSTAP_CTYPE_MAX + 1) : 0;
	size_t body = 4 + (ctype ? 8 + clen : 0);

	if (clen > FW_DNSTAP_CTYPE_MAX || cap < 8 || cap - 8 < body)
		return 0;
	put_be32(buf, 0);
	put_be32(buf + 4, (uint32_t)body);
	put_be32(buf + 8, (uint32_t)type);
	if (ctype) {
		put_be32(buf + 12, FSTRM_FIELD_CONTENT_TYPE);
		put_be32(buf + 16, (uint32_t)clen);
		memcpy(buf + 20, ctype, clen);  /* no NUL on the wire */
	}
	return 8 + body;
}

bool
fw_dnstap_is_fstrm(const uint8_t *head, size_t len)
{
	struct fw_dnstap_control ctl;
	uint32_t clen;

	if (len < 12 || fw_load_be32(head) != 0)
		return false;
	clen = fw_load_be32(head + 4);
	if (clen < 4 || clen > FW_DNSTAP_CONTROL_MAX || fw_load_be32(head + 8) != FW_FSTRM_START)
		return false;
	if (len - 8 < clen)        /* START not whole in head: the prefix is enough */
		return true;
	if (fw_dnstap_control_parse(head + 8, clen, &ctl) != FW_OK)
		return false;
	return ctl.n_ctypes == 0 || ctl.has_dnstap;
}

enum { ST_INIT, ST_WAIT_START, ST_DATA, ST_DONE };

void
fw_dnstap_stream_init(struct fw_dnstap_stream *s, uint32_t frame_max)
{
	memset(s, 0, sizeof(*s));
	s->frame_max = frame_max > FW_DNSTAP_FRAME_MAX ? FW_DNSTAP_FRAME_MAX : frame_max;
	s->state = ST_INIT;
}

/* A control frame arrived in state s->state: move on or fail. */
static int
stream_control(struct fw_dnstap_stream *s, const struct fw_dnstap_control *ctl)
{
	switch (ctl->type) {
	case FW_FSTRM_READY:
		if (s->state != ST_INIT)
			return FW_EMALFORMED;
		if (ctl->n_ctypes > 0 && !ctl->has_dnstap)
			return FW_EUNSUPPORTED;
		s->bidir = 1;
		s->state = ST_WAIT_START;
		return FW_DNSTAP_EV_ACCEPT;
	case FW_FSTRM_START:
		if (s->state != ST_INIT && s->state != ST_WAIT_START)
			return FW_EMALFORMED;
		if (ctl->n_ctypes > 0 && !ctl->has_dnstap)
			return FW_EUNSUPPORTED;
		s->state = ST_DATA;
		return FW_DNSTAP_EV_CONTROL;
	case FW_FSTRM_STOP:
		if (s->state != ST_DATA)
			return FW_EMALFORMED;
		s->state = ST_DONE;
		return s->bidir ? FW_DNSTAP_EV_FINISH : FW_DNSTAP_EV_END;
	default:                   /* ACCEPT, FINISH: the receiver's words, not the sender's */
		return FW_EMALFORMED;
	}
}

bool
fw_dnstap_stream_is_started(const struct fw_dnstap_stream *s)
{
	return s->state == ST_DATA || s->state == ST_DONE;
}

int
fw_dnstap_stream_next(struct fw_dnstap_stream *s, const uint8_t *buf, size_t len,
    size_t *used, const uint8_t **frame, size_t *frame_len)
{
	struct fw_dnstap_control ctl;
	struct fw_cur c;
	size_t n = 0;
	uint32_t flen, clen;
	int rc;

	*used = 0;
	*frame = NULL;
	*frame_len = 0;
	if (s->skip > 0) {         /* rest of an oversize frame */
		n = len < s->skip ? len : s->skip;
		s->skip -= (uint32_t)n;
		*used = n;
		if (s->skip > 0)
			return FW_DNSTAP_EV_MORE;
	}
	if (s->state == ST_DONE)
		return len > n ? FW_EMALFORMED : FW_DNSTAP_EV_MORE;
	c = fw_cur_make(buf + n, len - n);
	flen = fw_cur_u32(&c);
	if (c.err != FW_OK)
		return FW_DNSTAP_EV_MORE;
	if (flen != 0) {
		if (s->state != ST_DATA)
			return FW_EMALFORMED;
		if (flen > s->frame_max) {
			size_t have = fw_cur_left(&c);
			size_t take = have < flen ? have : flen;

			s->skip = flen - (uint32_t)take;
			*used = n + 4 + take;
			return FW_DNSTAP_EV_OVERSIZE;
		}
		if ((*frame = fw_cur_take(&c, flen)) == NULL) {
			*frame = NULL;
			return FW_DNSTAP_EV_MORE;
		}
		*frame_len = flen;
		*used = n + 4 + flen;
		return FW_DNSTAP_EV_DATA;
	}
	clen = fw_cur_u32(&c);
	if (c.err != FW_OK)
		return FW_DNSTAP_EV_MORE;
	if (clen < 4 || clen > FW_DNSTAP_CONTROL_MAX)
		return FW_EMALFORMED;
	if (fw_cur_left(&c) < clen)
		return FW_DNSTAP_EV_MORE;
	if ((rc = fw_dnstap_control_parse(c.p, clen, &ctl)) != FW_OK)
		return rc == FW_ETRUNC ? FW_EMALFORMED : rc;  /* fields overrun their own frame */
	if ((rc = stream_control(s, &ctl)) < 0)
		return rc;
	*used = n + 8 + clen;
	return rc;
}

/* ---- replay: Frame Streams files ---------------------------------------- */

int
fw_dnstap_file_read(const char *path, fw_dnstap_fn *cb, void *ctx, struct fw_dnstap_stats *st)
{
	struct fstrm_file_options *fopt = NULL;
	struct fstrm_reader_options *ropt = NULL;
	struct fstrm_reader *r = NULL;
	struct fw_dnstap_stats local;
	uint8_t head[FW_DNSTAP_CONTROL_MAX + 8];
	const uint8_t *data;
	size_t len, got;
	fstrm_res res;
	FILE *f;
	int err = FW_OK;

	if (st == NULL) {
		memset(&local, 0, sizeof(local));
		st = &local;
	}
	/* Our own look at the head tells "not Frame Streams" from "cannot open". */
	if ((f = fopen(path, "rb")) == NULL)
		return errno == ENOENT ? FW_ENOENT : FW_EIO;
	got = fread(head, 1, sizeof(head), f);
	err = ferror(f) ? FW_EIO : FW_OK;
	fclose(f);
	if (err != FW_OK)
		return err;
	if (!fw_dnstap_is_fstrm(head, got))
		return FW_EMALFORMED;

	err = FW_ENOMEM;
	if ((fopt = fstrm_file_options_init()) == NULL ||
	    (ropt = fstrm_reader_options_init()) == NULL)
		goto out;
	fstrm_file_options_set_file_path(fopt, path);
	if (fstrm_reader_options_add_content_type(ropt, FW_DNSTAP_CONTENT_TYPE,
	    sizeof(FW_DNSTAP_CONTENT_TYPE) - 1) != fstrm_res_success)
		goto out;
	err = FW_EIO;
	if ((r = fstrm_file_reader_init(fopt, ropt)) == NULL)
		goto out;
	if (fstrm_reader_open(r) != fstrm_res_success) {
		/* The file ends inside START, or START names another content type. */
		err = got - 8 < fw_load_be32(head + 4) ? FW_ETRUNC : FW_EMALFORMED;
		goto out;
	}
	/*
	 * libfstrm refuses frames over its max_frame_size (1 MiB by default)
	 * as a failed read; between FW_DNSTAP_FRAME_MAX and that we skip and
	 * count, like the listener does.
	 */
	while ((res = fstrm_reader_read(r, &data, &len)) == fstrm_res_success) {
		struct fw_dnsq q;
		int rc;

		if (len > FW_DNSTAP_FRAME_MAX) {
			st->frames++;
			st->oversize++;
			continue;
		}
		rc = fw_dnstap_decode_st(data, len, &q, st);
		if (rc < 0)
			FW_LOG_RL(FW_LOG_WARN, "dnstap", "%s: frame %llu: %s", path,
			    (unsigned long long)st->frames, fw_strerror(rc));
		if (rc == 1 && (err = cb(ctx, &q)) != FW_OK)
			goto out;
	}
	/*
	 * libfstrm says "stop" both for the STOP frame and for end of file
	 * (even inside a frame); only the first leaves a STOP control behind.
	 */
	err = FW_ETRUNC;
	if (res == fstrm_res_stop) {
		const struct fstrm_control *stop = NULL;

		if (fstrm_reader_get_control(r, FSTRM_CONTROL_STOP, &stop) == fstrm_res_success &&
		    stop != NULL)
			err = FW_OK;
	}
out:
	if (r != NULL)
		fstrm_reader_destroy(&r);
	if (ropt != NULL)
		fstrm_reader_options_destroy(&ropt);
	if (fopt != NULL)
		fstrm_file_options_destroy(&fopt);
	return err;
}
