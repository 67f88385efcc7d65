/*
 * detect_classify.c - what kind of attack, and the evidence that shows it.
 *
 * Per record, rec_info() sorts the packets into a class (TCP SYN, ACK,
 * other TCP, UDP, ICMP, GRE, other), notes UDP from a reflector's service
 * port with large average packets (amplification), tells reply traffic
 * to a client from traffic aimed at a server or target, and hashes the
 * features whose entropy is tracked.  Per alert event, classify() names
 * the vector from the packet mix accumulated over the hot run (rules in
 * README.md, "Vectors (flows)") and flow_evidence() writes the evidence
 * JSON: baseline against observed, shares, entropies, heavy hitters,
 * shortened until it fits FW_EVIDENCE_MAX.  det_json_put and det_round
 * serve the DNS evidence too.
 */
#include "detect_flow_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_addr.h"
#include "fw_names.h"

static const uint16_t amp_port[AMP_N] = { 53, 123, 11211, 1900 };
static const double amp_min_size[AMP_N] = { 512, 200, 400, 250 };
static const uint8_t amp_vec[AMP_N] = {
	FW_VEC_DNS_AMPLIFICATION, FW_VEC_NTP_AMPLIFICATION,
	FW_VEC_MEMCACHED_AMPLIFICATION, FW_VEC_SSDP_AMPLIFICATION,
};
static const char *const cls_names[NCLS] = {
	"tcp_syn", "tcp_ack", "tcp_other", "udp", "icmp", "gre", "other",
};
/* The class baselines' names (evidence "trigger"): classes, then reflector ports. */
static const char *const cb_names[NCB] = {
	"tcp_syn", "tcp_ack", "tcp_other", "udp", "icmp", "gre", "other",
	"reflector_53", "reflector_123", "reflector_11211", "reflector_1900",
};
static const char *const feat_names[NFEAT] = {
	"src_addr", "src_port", "dst_port", "protocol", "ttl", "dst_addr",
};

/*
 * Evidence JSON: dump o (consumed) into out.  1 when it fit; 0 and the
 * caller retries with shorter lists (evidence is capped at FW_EVIDENCE_MAX).
 */
int
det_json_put(json_t *o, char *out, size_t outlen)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
	int fit = text != NULL && strlen(text) < outlen;

	json_decref(o);
	if (fit)
		memcpy(out, text, strlen(text) + 1);
	free(text);
	return fit;
}

double
det_round(double x, double unit)
{
	return round(x / unit) * unit;
}

/*
 * TCP service ports above 1023 (databases, alternative web ports, push
 * and messaging services, RTMP, git): a record *from* one of these (or
 * from below 1024) to another port is a server answering a client.
 */
static bool
tcp_service_port(uint16_t p)
{
	switch (p) {
	case 1433: case 1521: case 1935: case 3306: case 3389: case 5222: case 5223: case 5228:
	case 5432: case 5671: case 5672: case 6379: case 8000: case 8008: case 8080: case 8443:
	case 8883: case 8888: case 9092: case 9200: case 9418: case 27017:
		return true;
	default:
		return p < 1024;
	}
}

/*
 * Reply traffic to a client: what a destination receives because it opened
 * the connection (README.md, "Victims (flows)").  TCP from a service port
 * to an ephemeral one, with the ACK flag when flags are known; UDP from DNS, NTP or QUIC (443) to an
 * ephemeral port, with ordinary packet sizes (DNS and NTP amplification
 * have large ones: ri->big).  Anything else (a service port, a bare SYN,
 * ICMP, GRE, fragments without ports, large reflector packets) shows a
 * server or a target.
 */
static bool
is_reply(const struct fw_flow *f, const struct rec_info *ri)
{
	if (f->dport < 1024 || tcp_service_port(f->dport))
		return false;
	if (f->proto == 6) {
		/* Flags unknown (0): the ports decide.  SYN or RST without data
		 * flags (FIN, PSH, URG): a handshake or reset alone, as SYN-ACK
		 * and RST reflection send. */
		uint8_t fl = f->tcp_flags;

		return tcp_service_port(f->sport) &&
		    (fl == 0 || ((fl & 0x10) && !((fl & 0x06) && !(fl & 0x29))));
	}
	if (f->proto == 17)
		return (f->sport == 53 || f->sport == 123 || f->sport == 443) && !ri->big;
	return false;
}

void
rec_info(const struct fw_flow *f, struct rec_info *ri)
{
	uint64_t x, y;

	ri->amp = -1;
	ri->big = false;
	switch (f->proto) {
	case 6:
		if ((f->tcp_flags & 0x02) && !(f->tcp_flags & 0x10))
			ri->cls = C_SYN;
		else if ((f->tcp_flags & 0x10) && !(f->tcp_flags & 0x0f))
			ri->cls = C_ACK;
		else
			ri->cls = C_TCP;
		break;
	case 17:
		ri->cls = C_UDP;
		for (int a = 0; a < AMP_N; a++)
			if (f->sport == amp_port[a])
				ri->amp = a;
		ri->big = ri->amp >= 0 && f->pkts > 0 &&
		    (double)f->bytes / (double)f->pkts > amp_min_size[ri->amp];
		break;
	case 1:
	case 58:
		ri->cls = C_ICMP;
		break;
	case 47:
		ri->cls = C_GRE;
		break;
	default:
		ri->cls = C_OTHER;
		break;
	}
	memcpy(&x, f->src.b, 8);
	memcpy(&y, f->src.b + 8, 8);
	ri->fh[F_SRC] = fw_hash64(x ^ fw_hash64(y));
	ri->hashed = false;
	ri->wt = f->pkts > UINT32_MAX ? UINT32_MAX : (uint32_t)f->pkts;
	ri->reply = is_reply(f, ri);
}

/* The other feature hashes: only records that reach a sketch need them
 * (most are sampled out), so they are made on first use. */
void
rec_hashes(const struct fw_flow *f, struct rec_info *ri)
{
	uint64_t x, y;

	if (ri->hashed)
		return;
	ri->fh[F_SPORT] = fw_hash64(0x10000u | f->sport);
	ri->fh[F_DPORT] = fw_hash64(0x20000u | f->dport);
	ri->fh[F_PROTO] = fw_hash64(0x30000u | f->proto);
	ri->fh[F_TTL] = fw_hash64(0x40000u | f->ttl);
	memcpy(&x, f->dst.b, 8);
	memcpy(&y, f->dst.b + 8, 8);
	ri->fh[F_DST] = fw_hash64(x ^ fw_hash64(y ^ 0x5555));
	ri->hashed = true;
}

/*
 * The primary vector of a packet mix (rules in README.md, "Vectors (flows)"):
 * reflection first (UDP from the service port, large average packets,
 * > 50 % of packets), then the class carrying > 50 % of packets, else
 * volumetric.  Secondary vectors: other classes with >= 20 %.
 */
uint8_t
classify(const uint64_t *cls, const uint64_t *amp_big, uint8_t *second, int *nsecond)
{
	static const uint8_t cls_vec[NCLS] = {
		FW_VEC_SYN_FLOOD, FW_VEC_ACK_FLOOD, FW_VEC_VOLUMETRIC, FW_VEC_UDP_FLOOD,
		FW_VEC_ICMP_FLOOD, FW_VEC_GRE_FLOOD, FW_VEC_VOLUMETRIC,
	};
	uint64_t total = 0;
	uint8_t primary = FW_VEC_VOLUMETRIC;

	*nsecond = 0;
	for (int c = 0; c < NCLS; c++)
		total += cls[c];
	if (total == 0)
		return primary;
	for (int a = 0; a < AMP_N && primary == FW_VEC_VOLUMETRIC; a++)
		if (amp_big[a] * 2 > total)
			primary = amp_vec[a];
	for (int c = 0; c < NCLS && primary == FW_VEC_VOLUMETRIC; c++)
		if (cls[c] * 2 > total)
			primary = cls_vec[c];
	for (int a = 0; a < AMP_N; a++)
		if (amp_vec[a] != primary && amp_big[a] > 0 && amp_big[a] * 5 >= total)
			second[(*nsecond)++] = amp_vec[a];
	for (int c = 0; c < NCLS; c++)
		if (cls_vec[c] != primary && cls_vec[c] != FW_VEC_VOLUMETRIC && cls[c] * 5 >= total &&
		    !(c == C_UDP && primary >= FW_VEC_DNS_AMPLIFICATION))
			second[(*nsecond)++] = cls_vec[c];
	return primary;
}

/*
 * What rose: the mix over the hot run or alert less what the victim's class
 * baselines expect over as long, so a victim's usual traffic (HTTPS on a
 * web server, large DNS answers at a resolver) does not name the flood.
 * The raw mix when nothing rose (the baseline was learned from it).
 */
static void
mix_excess(const struct victim *v, uint64_t *cls, uint64_t *amp)
{
	uint64_t total = 0;

	for (int c = 0; c < NCB; c++) {
		uint64_t m = c < NCLS ? v->mix_cls[c] : v->mix_amp_big[c - NCLS];
		double e = (double)v->cb[c].mean * v->mix_secs;
		uint64_t x = (double)m > e ? m - (uint64_t)e : 0;

		total += c < NCLS ? x : 0;
		if (c < NCLS)
			cls[c] = x;
		else
			amp[c - NCLS] = x;
	}
	if (total == 0) {
		memcpy(cls, v->mix_cls, sizeof(v->mix_cls));
		memcpy(amp, v->mix_amp_big, sizeof(v->mix_amp_big));
	}
}

uint8_t
flow_vector(const struct victim *v)
{
	uint64_t cls[NCLS], amp[AMP_N];
	uint8_t second[NCLS + AMP_N];
	int nsecond;

	mix_excess(v, cls, amp);
	return classify(cls, amp, second, &nsecond);
}

static json_t *
jshare(uint64_t part, uint64_t total)
{
	return json_real(total ? det_round((double)part / (double)total, 0.001) : 0.0);
}

static json_t *
top_list(const struct fw_topk *t, const struct fw_addr *addrs, int shown, int port)
{
	json_t *arr = json_array();
	uint32_t order[FW_TOPK_K];

	fw_topk_order(t, order);
	for (int i = 0; i < shown && (uint32_t)i < t->n; i++) {
		json_t *o = json_object();
		char a[64];

		if (addrs != NULL) {
			fw_addr_format(&addrs[order[i]], a, sizeof(a));
			json_object_set_new(o, "addr", json_string(a));
		} else {
			json_object_set_new(o, port ? "port" : "value", json_integer((json_int_t)t->key[order[i]]));
		}
		/* cnt - err: the guaranteed weight (spoofed sources show ~0). */
		json_object_set_new(o, "share", jshare(t->cnt[order[i]] - t->err[order[i]], t->total));
		json_array_append_new(arr, o);
	}
	return arr;
}

void
flow_evidence(struct fw_detect *d, const struct victim *v, char *out, size_t outlen)
{
	uint8_t second[NCLS + AMP_N];
	int nsecond;
	uint64_t total = 0, ex_cls[NCLS], ex_amp[AMP_N];

	mix_excess(v, ex_cls, ex_amp);
	(void)classify(ex_cls, ex_amp, second, &nsecond);
	for (int c = 0; c < NCLS; c++)
		total += v->mix_cls[c];
	/* Lists shrink until the text fits FW_EVIDENCE_MAX. */
	for (int shown = TOP_SHOWN; shown >= 0; shown = shown > 1 ? shown - 2 : shown - 1) {
		json_t *o = json_object(), *x;

		json_object_set_new(o, "kind", json_string(v->kind == VK_HOST ? "host" : "prefix"));
		x = json_object();
		json_object_set_new(x, "pps", json_real(det_round(v->b_pps.mean, 0.1)));
		json_object_set_new(x, "bps", json_real(det_round(v->b_bps.mean, 1)));
		json_object_set_new(x, "fps", json_real(det_round(v->b_fps.mean, 0.1)));
		json_object_set_new(o, "baseline", x);
		x = json_object();
		json_object_set_new(x, "pps", json_real(det_round(v->al.cur_pps, 0.1)));
		json_object_set_new(x, "bps", json_real(det_round(v->al.cur_bps, 1)));
		json_object_set_new(x, "fps", json_real(det_round(v->cur_fps, 0.1)));
		json_object_set_new(o, "observed", x);
		json_object_set_new(o, "threshold_pps", json_real(det_round(v->al.thr, 0.1)));
		/* The rule that started the alert and judges it: resolution,
		 * metric (the total or one class), its rate against its own
		 * baseline and threshold, and the samples it rests on. */
		x = json_object();
		json_object_set_new(x, "resolution_s", json_real(det_round(
		    (double)d->core.cfg.window_ms * (v->trig_res == 0 ? 1 : v->trig_res == 1 ? 10 : 60) / 1000.0, 0.1)));
		json_object_set_new(x, "metric", json_string(v->trig_cls >= NCB ? "total" : cb_names[v->trig_cls]));
		json_object_set_new(x, "observed_pps", json_real(det_round(v->trig_obs, 0.1)));
		json_object_set_new(x, "baseline_pps", json_real(det_round(
		    v->trig_cls >= NCB ? v->b_pps.mean : (double)v->cb[v->trig_cls].mean, 0.1)));
		json_object_set_new(x, "threshold_pps", json_real(det_round(v->al.thr, 0.1)));
		json_object_set_new(x, "samples", json_real(det_round(v->trig_samples, 0.1)));
		json_object_set_new(o, "trigger", x);
		json_object_set_new(o, "sampling", json_integer(v->max_sampling ? v->max_sampling : 1));
		x = json_object();
		for (int c = 0; c < NCLS; c++)
			if (v->mix_cls[c])
				json_object_set_new(x, cls_names[c], jshare(v->mix_cls[c], total));
		json_object_set_new(o, "protocol_shares", x);
		x = json_object();
		for (int a = 0; a < AMP_N; a++) {
			char port[8];

			if (v->mix_amp_big[a] == 0)
				continue;
			snprintf(port, sizeof(port), "%u", amp_port[a]);
			json_object_set_new(x, port, jshare(v->mix_amp_big[a], total));
		}
		json_object_set_new(o, "reflector_port_shares", x);
		x = json_array();
		for (int i = 0; i < nsecond; i++)
			json_array_append_new(x, json_string(fw_vector_name(second[i])));
		json_object_set_new(o, "secondary_vectors", x);
		x = json_object();
		for (int f = 0; f < NFEAT; f++) {
			json_t *e;

			if (f == F_DST && v->kind == VK_HOST)
				continue;
			e = json_object();
			json_object_set_new(e, "observed", json_real(det_round(
			    v->al.active || v->al.seq > 0 ? v->ent_peak[f] : v->ent_now[f], 0.01)));
			json_object_set_new(e, "baseline", json_real(det_round(v->b_ent[f].mean, 0.01)));
			json_object_set_new(x, feat_names[f], e);
		}
		json_object_set_new(o, "entropy", x);
		if (v->kind == VK_AGG)
			json_object_set_new(o, "max_host_share", json_real(det_round(v->max_host_share, 0.001)));
		if (v->detail != NONE32 && shown > 0) {
			const struct detail *dt = &d->det[v->detail];

			json_object_set_new(o, "top_sources", top_list(&dt->src, dt->src_addr, shown, 0));
			json_object_set_new(o, "top_src_ports", top_list(&dt->sport, NULL, shown, 1));
			json_object_set_new(o, "top_dst_ports", top_list(&dt->dport, NULL, shown, 1));
			if (v->kind == VK_AGG)
				json_object_set_new(o, "top_destinations", top_list(&dt->dst, dt->dst_addr, shown, 0));
		}
		if (det_json_put(o, out, outlen))
			return;
	}
	snprintf(out, outlen, "{}");
}
