/*
 * detect_int.h - state shared by detect.c (flows, windows, lifecycle) and
 * detect_dns.c (DNS zones).  Private to detector/; see fw_detect.h.
 */
#ifndef FW_DETECT_INT_H
#define FW_DETECT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "fw_detect.h"
#include "fw_hashtab.h"
#include "fw_sketch.h"

#define NONE32 UINT32_MAX
#define SAMPLE_LRU 8           /* candidates looked at per eviction */
#define SAMPLE_ROUNDS 4        /* ... in at most this many groups */
#define MAX_NETS 64            /* detector.networks entries */
#define MAX_DNS_LIST 64        /* dns.zones / dns.exclude entries */
#define TOP_SHOWN 5            /* heavy hitters shown in evidence */

/* Packet classes for the vector; see classify() in detect.c. */
enum cls { C_SYN, C_ACK, C_TCP, C_UDP, C_ICMP, C_GRE, C_OTHER, NCLS };
/* Reflection source ports. */
enum amp { AMP_DNS, AMP_NTP, AMP_MEMCACHED, AMP_SSDP, AMP_N };
/* Features whose entropy is tracked per victim. */
enum feat { F_SRC, F_SPORT, F_DPORT, F_PROTO, F_TTL, F_DST, NFEAT };

/* EWMA mean and variance of one metric. */
struct base {
	double mean;
	double var;
	uint32_t seen;             /* windows learned */
};

/* Alert lifecycle state, shared by victims and zones. */
struct alert {
	uint8_t active;            /* an alert is open */
	uint8_t vector;            /* enum fw_vector of the open alert */
	uint8_t has_id;            /* id valid (open, or in cool-down) */
	uint32_t hot_run;          /* consecutive hot windows */
	uint32_t calm_run;         /* consecutive calm windows while active */
	uint32_t since_update;     /* windows since the last event */
	uint32_t seq;              /* events sent under id */
	int64_t first_hot_ms;      /* start of the first window of the hot run */
	int64_t started_ms;        /* alert start (event time) */
	int64_t last_hot_ms;       /* end of the last hot window */
	int64_t ended_widx;        /* window the last alert ended in (cool-down) */
	double thr;                /* primary threshold frozen at start */
	double thr_b;              /* bps threshold frozen at start */
	double peak_pps, peak_bps, peak_qps;
	double cur_pps, cur_bps, cur_qps;
	char id[FW_ALERT_ID_LEN + 1];
};

enum lc_action { LC_NONE, LC_START, LC_UPDATE, LC_END, LC_RESTART };

/* The fw_hashtab hash of a victim's or zone's 64-bit key hash. */
static inline uint32_t
ix_hash(uint64_t h)
{
	return (uint32_t)(h >> 32);
}

struct fw_detect;

/* detect.c, used by detect_dns.c */
int64_t det_floor_div(int64_t a, int64_t b);
double det_threshold(const struct fw_detect *d, const struct base *b, double floor_v, double mult);
void det_learn(const struct fw_detect *d, struct base *b, double x);
bool det_warming(const struct fw_detect *d);
double det_warm_threshold(const struct fw_detect *d, double learned, double warm);
bool det_force_end(struct fw_detect *d, struct alert *a);
enum lc_action det_lifecycle(struct fw_detect *d, struct alert *a, bool hot, bool calm,
    int64_t widx, int64_t wstart, int64_t wend);
void det_make_id(struct alert *a, const char *victim_text);
void det_emit(struct fw_detect *d, struct alert *a, enum lc_action act, int64_t at_ms,
    const char *victim, const char *evidence);
int64_t det_take_time(struct fw_detect *d, int64_t t);
double det_round(double x, double unit);

/* detect_dns.c, used by detect.c */
struct fw_dns_state;
int dns_new(struct fw_detect *d, const struct fw_config *cfg, struct fw_dns_state **out);
void dns_free(struct fw_dns_state *z);
int dns_check_config(const struct fw_config *cfg, char *err, size_t errlen);
void dns_period_end(struct fw_detect *d, struct fw_dns_state *z, int64_t widx, int64_t next_close);
void dns_close_window(struct fw_detect *d, struct fw_dns_state *z, int64_t widx);
size_t dns_memory_bytes(const struct fw_dns_state *z);
int dns_end_all(struct fw_detect *d, struct fw_dns_state *z);
void dns_take_batch(struct fw_detect *d, struct fw_dns_state *z, const struct fw_dnsq *q, size_t n);
int det_nslots(const struct fw_detect *d);
uint64_t det_seq(const struct fw_detect *d);
struct fw_detect_stats *det_stats(struct fw_detect *d);
const struct fw_config *det_cfg(const struct fw_detect *d);
struct fw_alert_ev *det_scratch(struct fw_detect *d);

/* Evidence JSON into out (o consumed); 1 if it fit (detect.c). */
int det_json_put(json_t *o, char *out, size_t outlen);

#endif /* FW_DETECT_INT_H */
