/*
 * fuzz_fstrm.c - libFuzzer target for the Frame Streams side of the dnstap
 * collector: fw_dnstap_is_fstrm(), fw_dnstap_control_parse() and the
 * fw_dnstap_stream_next() state machine the live listener runs per client.
 * The input is a byte stream as a client would send it.
 *
 * The stream is fed twice with frame_max 256: whole, and in reads of 1..13
 * bytes into a listener-sized buffer.  Both feeds must see the same events
 * and the same data frames (chunking must not matter), every call must
 * consume only what it was given, and each data frame is decoded too.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fw_dnstap.h"

#define FRAME_MAX 256
#define BUF (FW_DNSTAP_CONTROL_MAX + 8)   /* >= FRAME_MAX + 4 as well */
#define MAX_EV 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ev_a[MAX_EV], ev_b[MAX_EV];
	static size_t len_a[MAX_EV], len_b[MAX_EV];
	struct fw_dnstap_control ctl;
	struct fw_dnstap_stream s;
	const uint8_t *frame;
	size_t na = 0, nb = 0, off = 0, used, flen, fill = 0, pos = 0, chunk = 1;
	uint8_t buf[BUF];
	struct fw_dnsq q;
	int ev;

	(void)fw_dnstap_is_fstrm(data, size);
	if (size >= 4 && fw_dnstap_control_parse(data, size, &ctl) == FW_OK)
		assert(ctl.type >= FW_FSTRM_ACCEPT && ctl.type <= FW_FSTRM_FINISH &&
		    ctl.n_ctypes <= FW_DNSTAP_CONTROL_MAX / 8);

	/* Feed A: everything at once. */
	fw_dnstap_stream_init(&s, FRAME_MAX);
	do {
		ev = fw_dnstap_stream_next(&s, data + off, size - off, &used, &frame, &flen);
		assert(used <= size - off);
		off += used;
		if (na < MAX_EV) {
			ev_a[na] = ev;
			len_a[na++] = flen;
		}
		if (ev == FW_DNSTAP_EV_DATA) {
			assert(flen >= 1 && flen <= FRAME_MAX);
			if (fw_dnstap_decode(frame, flen, &q) < 0)
				continue;  /* bad frames are the point of fuzzing */
		}
	} while (ev > 0 && ev != FW_DNSTAP_EV_FINISH && ev != FW_DNSTAP_EV_END);

	/* Feed B: small reads into a bounded buffer, as the listener does. */
	fw_dnstap_stream_init(&s, FRAME_MAX);
	for (;;) {
		size_t take = size - pos < chunk ? size - pos : chunk, o = 0;
		int stop = 0;

		if (take > BUF - fill)
			take = BUF - fill;
		memcpy(buf + fill, data + pos, take);
		fill += take;
		pos += take;
		chunk = chunk % 13 + 1;
		for (;;) {
			ev = fw_dnstap_stream_next(&s, buf + o, fill - o, &used, &frame, &flen);
			assert(used <= fill - o);
			o += used;
			if (ev == FW_DNSTAP_EV_MORE)
				break;
			if (nb < MAX_EV) {
				ev_b[nb] = ev;
				len_b[nb++] = flen;
			}
			if (ev < 0 || ev == FW_DNSTAP_EV_FINISH || ev == FW_DNSTAP_EV_END) {
				stop = 1;
				break;
			}
		}
		if (stop)                      /* an error consumes nothing: done */
			break;
		memmove(buf, buf + o, fill - o);
		fill -= o;
		assert(fill < BUF);            /* a bounded buffer never stalls */
		if (pos == size && take == 0)
			break;
	}
	/* Same events, except that A also logged its final MORE. */
	if (na > 0 && ev_a[na - 1] == FW_DNSTAP_EV_MORE)
		na--;
	if (na < MAX_EV && nb < MAX_EV) {
		assert(na == nb);
		for (size_t i = 0; i < na; i++)
			assert(ev_a[i] == ev_b[i] && len_a[i] == len_b[i]);
	}
	return 0;
}
