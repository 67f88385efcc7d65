/*
 * fw_dnswire.h - DNS message (RFC 1035 wire format) parser shared by the
 * NFLOG, pcap and dnstap collectors.
 *
 * One call parses a whole message: header, first question (name turned into
 * presentation text), the remaining questions and every resource record are
 * walked so that a message whose counts lie or which is cut short is
 * reported, and the OPT pseudo-record (EDNS, RFC 6891) is decoded when it is
 * in the additional section.
 *
 * Names go through one gate, fw_dnswire_name_check(), in the spirit of Knot's
 * knot_dname_wire_check(): it enforces label length 63, name length 255,
 * compression pointers that point strictly backwards (so no loop can form,
 * and hops are capped anyway) and never reads past the buffer.  Only a name
 * that passed the gate is handed to fw_dnswire_name_totext(), which then
 * trusts it.
 *
 * Presentation text follows BIND's dns_name_totext() so names from the wire
 * and from BIND's query log compare equal: ASCII letters lower-cased
 * (RFC 4343), the specials . \ " ; ( ) @ $ escaped with a backslash, bytes
 * <= 0x20 and >= 0x7f written as \DDD, no trailing dot, the root name is ".".
 * Text longer than FW_QNAME_MAX is clipped by dropping whole labels from the
 * left, keeping the zone part that detectors group by.
 *
 * Pure functions, no allocation, no global state: any thread.
 */
#ifndef FW_DNSWIRE_H
#define FW_DNSWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "fw_err.h"
#include "fw_records.h"

#define FW_DNSWIRE_HDR_LEN    12
#define FW_DNSWIRE_LABEL_MAX  63   /* RFC 1035 2.3.4 */
#define FW_DNSWIRE_NAME_MAX   255  /* wire bytes, including the root label */
#define FW_DNSWIRE_HOPS_MAX   128  /* compression pointers followed per name */
/* Longest unclipped text: 253 label bytes as \DDD plus dots, and a NUL. */
#define FW_DNSWIRE_TEXT_MAX   1024

#define FW_DNSWIRE_TYPE_OPT   41

/* Header flag bits as they sit in the second 16-bit word. */
#define FW_DNSWIRE_QR 0x8000
#define FW_DNSWIRE_AA 0x0400
#define FW_DNSWIRE_TC 0x0200
#define FW_DNSWIRE_RD 0x0100
#define FW_DNSWIRE_RA 0x0080
#define FW_DNSWIRE_AD 0x0020
#define FW_DNSWIRE_CD 0x0010

/* Which parts of struct fw_dnswire_info hold parsed values. */
#define FW_DNSWIRE_HAVE_HDR      0x01  /* id, flags, counts */
#define FW_DNSWIRE_HAVE_QUESTION 0x02  /* qname, qtype, qclass */
#define FW_DNSWIRE_HAVE_EDNS     0x04  /* edns_* and the extended rcode */
#define FW_DNSWIRE_HAVE_ALL      0x08  /* every counted record was walked */

struct fw_dnswire_info {
	uint16_t id;               /* transaction id */
	uint16_t flags;            /* raw second header word */
	uint8_t qr;                /* 1 = response */
	uint8_t opcode;            /* 0 QUERY, 4 NOTIFY, 5 UPDATE, ... */
	uint8_t aa, tc, rd, ra, ad, cd;  /* header bits, 0 or 1 */
	uint8_t have;              /* FW_DNSWIRE_HAVE_* */
	uint16_t rcode;            /* header rcode, extended by OPT to 12 bits */
	uint16_t qdcount, ancount, nscount, arcount;
	uint16_t qtype;            /* first question */
	uint16_t qclass;
	uint16_t edns_udp_size;    /* OPT CLASS: requestor's payload size, bytes */
	uint8_t edns_version;
	uint8_t edns_do;           /* DNSSEC OK bit */
	uint8_t qname_clipped;     /* 1 if labels were dropped to fit */
	uint8_t qname_len;         /* bytes of text in qname */
	uint16_t qname_wire_len;   /* uncompressed wire length, 1..255 */
	char qname[FW_QNAME_MAX + 1];  /* presentation text, NUL-terminated */
};

/*
 * Parse one DNS message (no TCP length prefix).  Returns FW_OK when the
 * header, every question and every counted record fit in len;
 * FW_ETRUNC when the message ends early (a snaplen cut, a lying count);
 * FW_EMALFORMED for a bad name (label type, length, pointer loop or forward
 * pointer) or a second/non-root OPT.  On error `out->have` still tells which
 * parts were parsed before the failure, so a caller may keep a question whose
 * answers were cut off.  Never reads outside msg[0..len).
 */
int fw_dnswire_parse(const uint8_t *msg, size_t len, struct fw_dnswire_info *out) FW_MUSTCHECK;

/*
 * Validate the name at msg[off].  On success returns its uncompressed wire
 * length (1..255) and sets *consumed to the bytes it takes at off (up to and
 * including the first pointer or the root label).  Returns FW_ETRUNC if the
 * buffer ends inside the name, FW_EMALFORMED for label types 01/10, a name
 * over 255 bytes, a pointer into the header or not strictly before the run
 * it ends, or more than FW_DNSWIRE_HOPS_MAX pointers.
 */
int fw_dnswire_name_check(const uint8_t *msg, size_t len, size_t off, size_t *consumed) FW_MUSTCHECK;

/*
 * Presentation text of a name that fw_dnswire_name_check() accepted in the
 * same buffer (only then is it safe).  Writes at most outsz - 1 bytes and a
 * NUL (outsz >= 2), dropping leftmost labels when the text does not fit and
 * setting *clipped (may be NULL).  Returns the text length.
 */
size_t fw_dnswire_name_totext(const uint8_t *msg, size_t off, char *out, size_t outsz,
    int *clipped);

/*
 * Shorten presentation text in place to at most max bytes by dropping whole
 * labels from the left (a label boundary is a '.' not escaped by '\').  If
 * even the last label is too long, its tail is kept.  Returns the new length.
 */
size_t fw_dnswire_text_clip(char *text, size_t len, size_t max);

/*
 * Fill a fw_dnsq from a parsed message.  src/dst are the packet's source and
 * destination: for a query the client is src, for a response (QR set) the
 * client is dst.  rcode is FW_RCODE_NONE for queries, else the (extended)
 * rcode, 0xfe standing for any value >= 0xfe.  extra_flags are ORed into
 * out->flags (FW_DNSQ_F_TCP).  Returns FW_OK, or FW_EUNSUPPORTED when the
 * message has no parsed question.
 */
int fw_dnswire_to_dnsq(const struct fw_dnswire_info *in, int64_t time_ms,
    const struct fw_addr *src, const struct fw_addr *dst, enum fw_dns_src source,
    uint8_t extra_flags, struct fw_dnsq *out) FW_MUSTCHECK;

#endif /* FW_DNSWIRE_H */
