/*
 * detect.c - first detector: per-destination rates against an EWMA baseline.
 *
 * Design
 *  - Victims live in one open-addressing table (linear probing, tombstones)
 *    of fixed size, made at start.  A victim holds `nslots` window slots, a
 *    small ring indexed by window number, so records up to lateness_ms late
 *    still land in their own window.  Records older than the oldest open
 *    window are counted as late and added to it: NetFlow exporters send
 *    long flows minutes late and their volume must not vanish.
 *  - Windows close on event time: when the newest record time minus the
 *    lateness passes a window's end (or, live, the wall clock does), every
 *    tracked victim's slot for that window is scored and cleared.  That sweep
 *    is O(table) once per window, never per record.
 *  - Score: a window is hot when pps (or bps) exceeds the floor, the
 *    baseline mean x multiplier and mean + zscore x stddev.  start_windows
 *    hot windows in a row start an alert; it ends after end_windows calm
 *    windows (calm = under half the start threshold, for hysteresis).  The
 *    baseline learns only from windows that are neither hot nor in an alert.
 *  - Vector: from the packet mix accumulated over the alert (see classify()).
 *
 * Memory: table slots x (victim state + nslots x window counters), reported
 * in stats.memory_bytes.  Idle victims (no traffic for IDLE_WINDOWS, no alert)
 * are evicted by the sweep.
 */
#include "fw_detect.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_pkt.h"
#include "fw_time.h"

#define IDLE_WINDOWS 600     /* evict a quiet, alert-free victim after this */
#define HYSTERESIS 0.5       /* calm means below this share of the threshold */

/* Amplification source ports, in the order of enum amp. */
enum amp { AMP_DNS, AMP_NTP, AMP_MEMCACHED, AMP_SSDP, AMP_N };
static const uint16_t amp_port[AMP_N] = { 53, 123, 11211, 1900 };

/* Packet counts by class; the mix the vector is chosen from. */
struct mix {
	uint64_t tcp_syn;      /* SYN without ACK */
	uint64_t tcp_ack;      /* ACK only (no SYN/FIN/RST/PSH) */
	uint64_t tcp_other;
	uint64_t udp;
	uint64_t icmp;
	uint64_t gre;
	uint64_t other;
	uint64_t amp_pkts[AMP_N];   /* UDP from a reflector port */
	uint64_t amp_bytes[AMP_N];
};

struct win {
	int64_t tag;           /* window number + 1; 0 = empty (calloc'd) */
	uint64_t pkts;
	uint64_t bytes;
	uint64_t flows;
	uint32_t max_sampling;
	struct mix mix;
};

enum vstate { V_EMPTY = 0, V_USED, V_TOMB };

struct victim {
	struct fw_addr addr;
	uint32_t index_slot;    /* where the index points at us */
	uint8_t state;          /* enum vstate */
	uint8_t active;         /* alert open */
	uint8_t vector;
	uint32_t hot_run;       /* consecutive hot windows */
	uint32_t calm_run;      /* consecutive calm windows while active */
	uint32_t idle_run;      /* consecutive empty windows */
	uint32_t seen;          /* windows learned into the baseline */
	uint32_t seq;           /* alert events sent for the open alert */
	uint32_t since_update;  /* windows since the last event */
	uint32_t max_sampling;
	double mean_pps, var_pps, mean_bps, var_bps;
	double peak_pps, peak_bps, cur_pps, cur_bps;
	double thr_pps;         /* threshold when the alert started */
	int64_t first_hot_ms;   /* start of the first hot window of the run */
	int64_t started_ms, last_hot_ms;
	char id[FW_ALERT_ID_LEN + 1];
	struct mix alert_mix;   /* accumulated while active (and the hot run) */
};

struct fw_detect {
	struct fw_config cfg;
	fw_alert_fn *emit;
	void *ctx;
	/* Victims: a dense array of max_victims entries found through an
	 * open-addressing index of 2 x max_victims slots (linear probing).
	 * index[i]: 0 empty, IDX_TOMB deleted, else victim number + 1. */
	uint32_t *index;
	size_t nindex, mask, tombs;
	struct victim *v;       /* max_victims entries, [0, hw) ever used */
	struct win *w;          /* max_victims x nslots window slots */
	uint32_t *free_list;    /* evicted victim numbers, reused first */
	size_t nfree, hw, used, max_victims;
	int nslots;
	int64_t max_event_ms;   /* newest event time seen */
	int64_t next_close;     /* windows below this index are closed; INT64_MIN: no data yet */
	int64_t wall_ms;        /* live mode: last wall clock, 0 in replay */
	struct fw_detect_stats st;
	struct fw_alert_ev ev;  /* scratch for emitting */
};

#define IDX_TOMB UINT32_MAX

static const char *const vector_names[FW_VEC_COUNT] = {
	"volumetric", "udp_flood", "syn_flood", "ack_flood", "gre_flood",
	"icmp_flood", "dns_flood", "dns_water_torture", "dns_amplification",
	"ntp_amplification", "memcached_amplification", "ssdp_amplification",
};

const char *
fw_vector_name(int vector)
{
	return vector >= 0 && vector < FW_VEC_COUNT ? vector_names[vector] : "volumetric";
}

static uint64_t
addr_hash(const struct fw_addr *a)
{
	uint64_t x, y;

	memcpy(&x, a->b, 8);
	memcpy(&y, a->b + 8, 8);
	x ^= y * 0x9e3779b97f4a7c15ULL;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}


int
fw_detect_new(const struct fw_config *cfg, fw_alert_fn *emit, void *ctx, struct fw_detect **out)
{
	struct fw_detect *d;
	size_t nindex = 16;

	if (cfg->window_ms <= 0 || cfg->max_victims <= 0 || cfg->max_victims >= (int64_t)IDX_TOMB / 2)
		return FW_EINVAL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return FW_ENOMEM;
	d->cfg = *cfg;
	d->emit = emit;
	d->ctx = ctx;
	d->max_victims = (size_t)cfg->max_victims;
	/* Index at most half full: probe chains stay short. */
	while (nindex < d->max_victims * 2)
		nindex <<= 1;
	d->nindex = nindex;
	d->mask = nindex - 1;
	d->nslots = (int)((cfg->lateness_ms + cfg->window_ms - 1) / cfg->window_ms) + 2;
	/* calloc: pages stay untouched (not resident) until a victim uses them. */
	d->index = calloc(nindex, sizeof(*d->index));
	d->v = calloc(d->max_victims, sizeof(*d->v));
	d->w = calloc(d->max_victims * (size_t)d->nslots, sizeof(*d->w));
	d->free_list = calloc(d->max_victims, sizeof(*d->free_list));
	if (d->index == NULL || d->v == NULL || d->w == NULL || d->free_list == NULL) {
		fw_detect_free(d);
		return FW_ENOMEM;
	}
	d->next_close = INT64_MIN;
	d->max_event_ms = INT64_MIN;
	d->st.memory_bytes = sizeof(*d) + nindex * sizeof(*d->index) +
	    d->max_victims * (sizeof(*d->v) + sizeof(*d->free_list) + (size_t)d->nslots * sizeof(*d->w));
	*out = d;
	return FW_OK;
}

void
fw_detect_free(struct fw_detect *d)
{
	if (d == NULL)
		return;
	free(d->index);
	free(d->v);
	free(d->w);
	free(d->free_list);
	free(d);
}

/* Slot of window widx in a victim's ring; widx < 0 (times before 1970,
 * e.g. a NetFlow v5 header with unix_secs 0) must still land in 0..n-1. */
static struct win *
slot_of(struct fw_detect *d, size_t victim, int64_t widx)
{
	return &d->w[victim * (size_t)d->nslots + (size_t)(((widx % d->nslots) + d->nslots) % d->nslots)];
}

/* Find or add the victim; NULL when the table is full. */
static struct victim *
victim_get(struct fw_detect *d, const struct fw_addr *a)
{
	size_t i = (size_t)addr_hash(a) & d->mask;
	size_t tomb = SIZE_MAX, num;
	struct victim *v;

	for (size_t probes = 0; probes < d->nindex; probes++, i = (i + 1) & d->mask) {
		uint32_t e = d->index[i];

		if (e == 0)
			break;
		if (e == IDX_TOMB) {
			if (tomb == SIZE_MAX)
				tomb = i;
			continue;
		}
		if (memcmp(d->v[e - 1].addr.b, a->b, 16) == 0)
			return &d->v[e - 1];
	}
	if (d->used >= d->max_victims)
		return NULL;
	if (tomb != SIZE_MAX) {
		i = tomb;
		d->tombs--;
	} else if (d->index[i] != 0) {
		return NULL;  /* index full of tombstones: the next sweep rebuilds it */
	}
	num = d->nfree > 0 ? d->free_list[--d->nfree] : d->hw++;
	v = &d->v[num];
	memset(v, 0, sizeof(*v));
	v->addr = *a;
	v->state = V_USED;
	v->index_slot = (uint32_t)i;
	d->index[i] = (uint32_t)num + 1;
	d->used++;
	return v;
}

/* Rebuild the index without tombstones (rare; bounded O(index)). */
static void
reindex(struct fw_detect *d)
{
	memset(d->index, 0, d->nindex * sizeof(*d->index));
	for (size_t n = 0; n < d->hw; n++) {
		size_t i;

		if (d->v[n].state != V_USED)
			continue;
		i = (size_t)addr_hash(&d->v[n].addr) & d->mask;
		while (d->index[i] != 0)
			i = (i + 1) & d->mask;
		d->index[i] = (uint32_t)n + 1;
		d->v[n].index_slot = (uint32_t)i;
	}
	d->tombs = 0;
}

static void
mix_add(struct mix *m, const struct fw_flow *f)
{
	uint64_t p = f->pkts;

	switch (f->proto) {
	case 6: {
		uint8_t fl = f->tcp_flags;
		if ((fl & 0x02) && !(fl & 0x10))
			m->tcp_syn += p;
		else if ((fl & 0x10) && !(fl & 0x0f))
			m->tcp_ack += p;
		else
			m->tcp_other += p;
		break;
	}
	case 17:
		m->udp += p;
		for (int a = 0; a < AMP_N; a++) {
			if (f->sport == amp_port[a]) {
				m->amp_pkts[a] += p;
				m->amp_bytes[a] += f->bytes;
			}
		}
		break;
	case 1:
	case 58:
		m->icmp += p;
		break;
	case 47:
		m->gre += p;
		break;
	default:
		m->other += p;
		break;
	}
}

static void
mix_merge(struct mix *dst, const struct mix *src)
{
	const uint64_t *s = (const uint64_t *)(const void *)src;
	uint64_t *t = (uint64_t *)(void *)dst;

	for (size_t i = 0; i < sizeof(*src) / sizeof(uint64_t); i++)
		t[i] += s[i];
}

/*
 * The vector: the class carrying more than half of the packets wins.
 * Amplification: UDP from a reflector port with large packets (DNS > 512 B,
 * NTP > 200 B, memcached > 400 B, SSDP > 250 B average) carrying > 50 %.
 */
static uint8_t
classify(const struct mix *m)
{
	static const double min_size[AMP_N] = { 512, 200, 400, 250 };
	uint64_t total = m->tcp_syn + m->tcp_ack + m->tcp_other + m->udp + m->icmp + m->gre + m->other;
	static const uint8_t amp_vec[AMP_N] = {
		FW_VEC_DNS_AMPLIFICATION, FW_VEC_NTP_AMPLIFICATION,
		FW_VEC_MEMCACHED_AMPLIFICATION, FW_VEC_SSDP_AMPLIFICATION,
	};

	if (total == 0)
		return FW_VEC_VOLUMETRIC;
	for (int a = 0; a < AMP_N; a++)
		if (m->amp_pkts[a] * 2 > total &&
		    (double)m->amp_bytes[a] / (double)m->amp_pkts[a] > min_size[a])
			return amp_vec[a];
	if (m->gre * 2 > total)
		return FW_VEC_GRE_FLOOD;
	if (m->icmp * 2 > total)
		return FW_VEC_ICMP_FLOOD;
	if (m->tcp_syn * 2 > total)
		return FW_VEC_SYN_FLOOD;
	if (m->tcp_ack * 2 > total)
		return FW_VEC_ACK_FLOOD;
	if (m->udp * 2 > total)
		return FW_VEC_UDP_FLOOD;
	return FW_VEC_VOLUMETRIC;
}

static void
make_id(struct victim *v, const char *victim_text)
{
	uint64_t h = 0xcbf29ce484222325ULL;  /* FNV-1a over victim and start time */

	for (const char *p = victim_text; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	for (int i = 0; i < 8; i++)
		h = (h ^ (uint8_t)(v->started_ms >> (i * 8))) * 0x100000001b3ULL;
	snprintf(v->id, sizeof(v->id), "%016llx", (unsigned long long)h);
}

static double
share(uint64_t part, uint64_t total)
{
	return total ? (double)part / (double)total : 0.0;
}

static void
build_evidence(const struct victim *v, char *out, size_t outlen)
{
	const struct mix *m = &v->alert_mix;
	uint64_t total = m->tcp_syn + m->tcp_ack + m->tcp_other + m->udp + m->icmp + m->gre + m->other;
	json_t *o = json_object(), *proto = json_object(), *refl = json_object();
	char *text;

	if (o == NULL || proto == NULL || refl == NULL)
		goto fail;
	json_object_set_new(o, "baseline_pps", json_real(round(v->mean_pps * 10) / 10));
	json_object_set_new(o, "baseline_bps", json_real(round(v->mean_bps)));
	json_object_set_new(o, "observed_pps", json_real(round(v->cur_pps * 10) / 10));
	json_object_set_new(o, "observed_bps", json_real(round(v->cur_bps)));
	json_object_set_new(o, "threshold_pps", json_real(round(v->thr_pps * 10) / 10));
	json_object_set_new(o, "sampling", json_integer(v->max_sampling ? v->max_sampling : 1));
	json_object_set_new(proto, "tcp_syn", json_real(round(share(m->tcp_syn, total) * 1000) / 1000));
	json_object_set_new(proto, "tcp_ack", json_real(round(share(m->tcp_ack, total) * 1000) / 1000));
	json_object_set_new(proto, "tcp_other", json_real(round(share(m->tcp_other, total) * 1000) / 1000));
	json_object_set_new(proto, "udp", json_real(round(share(m->udp, total) * 1000) / 1000));
	json_object_set_new(proto, "icmp", json_real(round(share(m->icmp, total) * 1000) / 1000));
	json_object_set_new(proto, "gre", json_real(round(share(m->gre, total) * 1000) / 1000));
	json_object_set_new(proto, "other", json_real(round(share(m->other, total) * 1000) / 1000));
	json_object_set_new(o, "protocol_shares", proto);
	proto = NULL;
	for (int a = 0; a < AMP_N; a++) {
		char port[8];
		snprintf(port, sizeof(port), "%u", amp_port[a]);
		json_object_set_new(refl, port, json_real(round(share(m->amp_pkts[a], total) * 1000) / 1000));
	}
	json_object_set_new(o, "udp_source_port_shares", refl);
	refl = NULL;
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL || strlen(text) >= outlen) {
		free(text);
		goto fail;
	}
	memcpy(out, text, strlen(text) + 1);
	free(text);
	json_decref(o);
	return;
fail:
	json_decref(o);
	json_decref(proto);
	json_decref(refl);
	snprintf(out, outlen, "{}");
}

static void
emit_event(struct fw_detect *d, struct victim *v, int event, int64_t at_ms)
{
	struct fw_alert_ev *e = &d->ev;

	memset(e, 0, offsetof(struct fw_alert_ev, evidence));
	fw_addr_format(&v->addr, e->victim, sizeof(e->victim));
	if (event == FW_EV_START)
		make_id(v, e->victim);
	memcpy(e->id, v->id, sizeof(e->id));
	e->event = (uint8_t)event;
	e->vector = v->vector;
	{
		double ratio = v->peak_pps / (v->thr_pps > 0 ? v->thr_pps : 1);
		e->severity = ratio >= 100 ? 3 : ratio >= 10 ? 2 : 1;
	}
	e->seq = ++v->seq;
	e->started_ms = v->started_ms;
	e->updated_ms = at_ms;
	e->ended_ms = event == FW_EV_END ? at_ms : 0;
	e->peak_pps = v->peak_pps;
	e->peak_bps = v->peak_bps;
	e->cur_pps = v->cur_pps;
	e->cur_bps = v->cur_bps;
	build_evidence(v, e->evidence, sizeof(e->evidence));
	v->since_update = 0;
	if (d->emit != NULL)
		d->emit(d->ctx, e);
}

static void
learn(struct fw_detect *d, struct victim *v, double pps, double bps)
{
	/* Warm-up: plain average first, so the baseline is usable quickly. */
	double a = d->cfg.ewma_alpha, dp, db;

	if (v->seen < 1.0 / a)
		a = 1.0 / (v->seen + 1);
	dp = pps - v->mean_pps;
	db = bps - v->mean_bps;
	v->mean_pps += a * dp;
	v->mean_bps += a * db;
	v->var_pps = (1 - a) * (v->var_pps + a * dp * dp);
	v->var_bps = (1 - a) * (v->var_bps + a * db * db);
	v->seen++;
}

static double
threshold(const struct fw_detect *d, double mean, double var, double floor_v, uint32_t seen)
{
	double t = mean * d->cfg.multiplier, z = mean + d->cfg.zscore * sqrt(var);

	if (z > t)
		t = z;
	if (seen < (uint32_t)d->cfg.warmup_windows) {
		/* Untrusted baseline: demand a clear margin over the floor. */
		double warm = floor_v * d->cfg.multiplier;
		if (warm > t)
			t = warm;
	}
	return t > floor_v ? t : floor_v;
}

/* Score one victim's closed window. */
static void
score(struct fw_detect *d, struct victim *v, struct win *w, int64_t widx)
{
	double secs = (double)d->cfg.window_ms / 1000.0;
	double pps = (double)w->pkts / secs, bps = (double)w->bytes * 8 / secs;
	double thr_p = threshold(d, v->mean_pps, v->var_pps, d->cfg.min_pps, v->seen);
	double thr_b = threshold(d, v->mean_bps, v->var_bps, d->cfg.min_bps, v->seen);
	int64_t wstart = widx * d->cfg.window_ms, wend = wstart + d->cfg.window_ms;
	int hot, calm;

	if (v->active) {
		/* Judge against the threshold the alert started with: the baseline
		 * is frozen while it is open. */
		thr_p = v->thr_pps;
	}
	hot = pps > thr_p && pps >= d->cfg.min_pps && bps >= d->cfg.min_bps &&
	    (bps > thr_b || pps > thr_p);
	calm = pps < thr_p * HYSTERESIS;
	v->cur_pps = pps;
	v->cur_bps = bps;
	if (w->pkts == 0)
		v->idle_run++;
	else
		v->idle_run = 0;

	if (!v->active) {
		if (hot) {
			if (v->hot_run++ == 0) {
				v->first_hot_ms = wstart;
				memset(&v->alert_mix, 0, sizeof(v->alert_mix));
				v->peak_pps = v->peak_bps = 0;
				v->max_sampling = 0;
			}
			mix_merge(&v->alert_mix, &w->mix);
			if (pps > v->peak_pps)
				v->peak_pps = pps;
			if (bps > v->peak_bps)
				v->peak_bps = bps;
			if (w->max_sampling > v->max_sampling)
				v->max_sampling = w->max_sampling;
			if (v->hot_run >= (uint32_t)d->cfg.start_windows) {
				v->active = 1;
				v->seq = 0;
				v->calm_run = 0;
				v->thr_pps = thr_p;
				v->started_ms = v->first_hot_ms;
				v->last_hot_ms = wend;
				v->vector = classify(&v->alert_mix);
				d->st.alerts_started++;
				emit_event(d, v, FW_EV_START, wend);
			}
		} else {
			v->hot_run = 0;
			learn(d, v, pps, bps);
		}
		return;
	}

	/* Active alert. */
	if (pps > v->peak_pps)
		v->peak_pps = pps;
	if (bps > v->peak_bps)
		v->peak_bps = bps;
	if (w->max_sampling > v->max_sampling)
		v->max_sampling = w->max_sampling;
	if (!calm) {
		mix_merge(&v->alert_mix, &w->mix);
		v->calm_run = 0;
		if (hot)
			v->last_hot_ms = wend;
	} else if (++v->calm_run >= (uint32_t)d->cfg.end_windows) {
		v->active = 0;
		v->hot_run = 0;
		d->st.alerts_ended++;
		emit_event(d, v, FW_EV_END, v->last_hot_ms);
		return;
	}
	if (++v->since_update >= (uint32_t)d->cfg.update_windows) {
		v->vector = classify(&v->alert_mix);
		emit_event(d, v, FW_EV_UPDATE, wend);
	}
}

/* Close window widx for every victim: score, clear the slot, evict idle ones. */
static void
close_window(struct fw_detect *d, int64_t widx)
{
	static const struct win empty;

	for (size_t n = 0; n < d->hw; n++) {
		struct victim *v = &d->v[n];
		struct win *w = slot_of(d, n, widx);

		if (v->state != V_USED)
			continue;
		score(d, v, w->tag == widx + 1 ? w : (struct win *)&empty, widx);
		if (w->tag == widx + 1)
			*w = empty;
		if (!v->active && v->hot_run == 0 && v->idle_run >= IDLE_WINDOWS) {
			int busy = 0;
			for (int s = 0; s < d->nslots; s++)
				busy |= d->w[n * (size_t)d->nslots + (size_t)s].tag != 0;
			if (!busy) {
				v->state = V_TOMB;
				d->index[v->index_slot] = IDX_TOMB;
				d->free_list[d->nfree++] = (uint32_t)n;
				d->used--;
				d->tombs++;
				d->st.evicted++;
			}
		}
	}
	if (d->tombs > d->nindex / 4)
		reindex(d);
	d->st.windows_closed++;
}

/* Close windows up to (not including) `upto`; a long gap is skipped in bulk. */
static void
close_until(struct fw_detect *d, int64_t upto)
{
	if (d->next_close == INT64_MIN)
		return;
	/* After a long silence, every slot is empty: scoring more than
	 * end_windows + IDLE_WINDOWS empty windows changes nothing more that
	 * matters, so jump (bounded work per call). */
	if (upto - d->next_close > d->cfg.end_windows + IDLE_WINDOWS + d->nslots) {
		int64_t stop = d->next_close + d->cfg.end_windows + IDLE_WINDOWS;
		while (d->next_close < stop)
			close_window(d, d->next_close++);
		d->next_close = upto - d->nslots;
	}
	while (d->next_close < upto)
		close_window(d, d->next_close++);
}

static void
advance(struct fw_detect *d)
{
	int64_t wm = d->max_event_ms - d->cfg.lateness_ms;

	if (d->wall_ms > 0 && d->wall_ms - d->cfg.lateness_ms > wm)
		wm = d->wall_ms - d->cfg.lateness_ms;
	close_until(d, floor_div(wm, d->cfg.window_ms));
}

void
fw_detect_flows(struct fw_detect *d, const struct fw_flow *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t t = f[i].end_ms, widx;
		struct victim *v;
		struct win *w;

		if (d->wall_ms > 0 && t > d->wall_ms + 60000) {
			d->st.future++;
			continue;
		}
		widx = floor_div(t, d->cfg.window_ms);
		if (d->next_close == INT64_MIN) {
			/* The first record opens the windows lateness_ms back too:
			 * exporters do not send in time order, and a record a little
			 * older than the first must land in its own window, not be
			 * counted late. */
			d->next_close = floor_div(t - d->cfg.lateness_ms, d->cfg.window_ms);
		}
		if (t > d->max_event_ms) {
			d->max_event_ms = t;
			/* Keep the slot ring valid before the record lands. */
			if (widx - d->next_close >= d->nslots - 1)
				advance(d);
			if (widx - d->next_close >= d->nslots)
				close_until(d, widx - d->nslots + 1);
		}
		if (widx < d->next_close) {
			d->st.late++;
			widx = d->next_close;
		}
		if ((v = victim_get(d, &f[i].dst)) == NULL) {
			d->st.victims_full++;
			continue;
		}
		w = slot_of(d, (size_t)(v - d->v), widx);
		if (w->tag != widx + 1) {
			memset(w, 0, sizeof(*w));
			w->tag = widx + 1;
		}
		w->pkts += f[i].pkts;
		w->bytes += f[i].bytes;
		w->flows++;
		if (f[i].sampling > w->max_sampling)
			w->max_sampling = f[i].sampling;
		mix_add(&w->mix, &f[i]);
	}
	d->st.flows += n;
	if (d->next_close != INT64_MIN)
		advance(d);
}

void
fw_detect_dns(struct fw_detect *d, const struct fw_dnsq *q, size_t n)
{
	(void)q;
	d->st.dnsq += n;  /* DNS detection arrives with the detector issue */
}

void
fw_detect_clock(struct fw_detect *d, int64_t now_ms)
{
	d->wall_ms = now_ms;
	if (d->next_close == INT64_MIN)
		return;
	advance(d);
}

void
fw_detect_finish(struct fw_detect *d)
{
	if (d->next_close == INT64_MIN)
		return;
	/* Close everything seen, then enough empty windows for open alerts to end. */
	close_until(d, floor_div(d->max_event_ms, d->cfg.window_ms) + 1 + d->cfg.end_windows);
}

void
fw_detect_get_stats(const struct fw_detect *d, struct fw_detect_stats *st)
{
	*st = d->st;
	st->victims = d->used;
}
