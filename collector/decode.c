/*
 * decode.c - dispatch a UDP payload to its decoder by content (fw_decode.h).
 */
#include "fw_decode.h"

#include <stdlib.h>
#include <string.h>

#include "fw_dnswire.h"
#include "fw_log.h"
#include "fw_nf5.h"

struct fw_decoder {
	struct fw_config cfg;
	enum fw_dns_src dns_source;   /* what DNS packets found here are tagged as */
	struct fw_decode_stats st;
	struct fw_dnswire_info dnsinfo;  /* scratch */
};

int
fw_decoder_new(const struct fw_config *cfg, struct fw_decoder **out)
{
	struct fw_decoder *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return FW_ENOMEM;
	d->cfg = *cfg;
	d->dns_source = FW_DNS_PCAP;
	*out = d;
	return FW_OK;
}

void
fw_decoder_set_dns_source(struct fw_decoder *d, enum fw_dns_src source)
{
	d->dns_source = source;
}

/*
 * A DNS packet: a query or response becomes one fw_dnsq.  A message cut
 * short after its question (snaplen, or lying counts) still counts: the
 * question is what the detector needs.
 */
static int
decode_dns(struct fw_decoder *d, const struct fw_udp *u, int64_t at, struct fw_dnsq *out, size_t max)
{
	int rc = fw_dnswire_parse(u->payload, u->len, &d->dnsinfo);

	if (rc != FW_OK && !(d->dnsinfo.have & FW_DNSWIRE_HAVE_QUESTION))
		return rc;
	if (max == 0)
		return FW_EFULL;
	rc = fw_dnswire_to_dnsq(&d->dnsinfo, at, &u->src, &u->dst, d->dns_source, 0, out);
	return rc == FW_OK ? 1 : rc;
}

void
fw_decoder_free(struct fw_decoder *d)
{
	free(d);
}

static enum fw_derr
derr_of(int rc)
{
	switch (rc) {
	case FW_ETRUNC: return FW_DERR_TRUNC;
	case FW_EMALFORMED: return FW_DERR_MALFORMED;
	case FW_ENOTEMPLATE: return FW_DERR_NOTEMPLATE;
	case FW_EUNSUPPORTED: return FW_DERR_UNSUPPORTED;
	default: return FW_DERR_OTHER;
	}
}

const char *
fw_derr_name(enum fw_derr e)
{
	static const char *const names[FW_DERR_N] = {
		"truncated", "malformed", "no_template", "unsupported", "other"
	};

	return (unsigned)e < FW_DERR_N ? names[e] : "other";
}

static void
count_error(struct fw_decoder *d, enum fw_payload_kind kind, int rc, const struct fw_udp *u)
{
	char src[64];

	d->st.errors[kind][derr_of(rc)]++;
	if (rc == FW_EUNSUPPORTED)
		return;  /* counted; not an input fault worth a log line */
	fw_addr_format(&u->src, src, sizeof(src));
	FW_LOG_RL(FW_LOG_WARN, "decode", "dropped %s datagram from %s (%zu bytes): %s",
	    fw_pkt_kind_name(kind), src, u->len, fw_strerror(rc));
}

enum fw_payload_kind
fw_decoder_udp(struct fw_decoder *d, const struct fw_udp *u, int64_t arrival_ms,
    struct fw_flow *flows, size_t maxflows, size_t *nflows,
    struct fw_dnsq *dns, size_t maxdns, size_t *ndns)
{
	enum fw_payload_kind kind = fw_pkt_sniff(u->payload, u->len);
	int rc;

	*nflows = 0;
	*ndns = 0;
	d->st.datagrams[kind]++;
	switch (kind) {
	case FW_PAYLOAD_NF5:
		rc = fw_nf5_decode(u->payload, u->len, &u->src, flows, maxflows, NULL);
		break;
	case FW_PAYLOAD_DNS:
		rc = decode_dns(d, u, arrival_ms, dns, maxdns);
		if (rc > 0) {
			*ndns = (size_t)rc;
			d->st.records[kind] += (uint64_t)rc;
			return kind;
		}
		break;
	default:
		rc = FW_EUNSUPPORTED;  /* unknown payload, or a format not decoded yet */
		break;
	}
	if (rc < 0) {
		count_error(d, kind, rc, u);
		return kind;
	}
	*nflows = (size_t)rc;
	d->st.records[kind] += (uint64_t)rc;
	return kind;
}

const struct fw_decode_stats *
fw_decoder_stats(const struct fw_decoder *d)
{
	return &d->st;
}

void
fw_decode_stats_add(struct fw_decode_stats *a, const struct fw_decode_stats *b)
{
	for (int k = 0; k < FW_PAYLOAD_KINDS; k++) {
		a->datagrams[k] += b->datagrams[k];
		a->records[k] += b->records[k];
		for (int e = 0; e < FW_DERR_N; e++)
			a->errors[k][e] += b->errors[k][e];
	}
}
