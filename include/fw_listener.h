/*
 * fw_listener.h - a UDP socket and the thread that drains it:
 * recvmmsg batches -> fw_decoder -> SPSC ring (push or drop, never block).
 *
 * Address text: "HOST:PORT", "[V6]:PORT" or "PORT" (all addresses, IPv6
 * dual-stack).  Port 0 binds an ephemeral port (tests; the bound port is in
 * fw_listener_name() and the log).  SO_REUSEPORT is set so several workers may share a port.
 *
 * Ownership: the listener owns its socket, thread and decoder; the ring
 * belongs to the pipeline.  Stop before freeing the pipeline.
 */
#ifndef FW_LISTENER_H
#define FW_LISTENER_H

#include <stdint.h>

#include "fw_config.h"
#include "fw_decode.h"
#include "fw_err.h"
#include "fw_ring.h"

struct fw_listener;

struct fw_listener_stats {
	uint64_t datagrams;        /* received */
	uint64_t kernel_drops;     /* SO_MEMINFO drops: by the kernel, socket full */
	uint64_t flows;            /* records pushed to the ring */
	uint64_t ring_drops;       /* records dropped: ring full */
	uint64_t not_allowed;      /* datagrams dropped: exporter not in listen.allow */
	struct fw_decode_stats dec;
};

/* Parse and bind.  worker: index among the listen.workers sockets of addr,
 * which names the listener's template state file.  err holds one line on
 * failure. */
int fw_listener_open(const char *addr, const char *label, int worker, const struct fw_config *cfg,
    struct fw_listener **out, char *err, size_t errlen) FW_MUSTCHECK;

/* Start the receive thread, pushing into flows (and dns, may be NULL). */
int fw_listener_start(struct fw_listener *l, struct fw_ring *flows, struct fw_ring *dns) FW_MUSTCHECK;

/* Ask the thread to stop and join it (within ~100 ms). */
void fw_listener_stop(struct fw_listener *l);
void fw_listener_free(struct fw_listener *l);

/* The bound port (dump --listen prints it), and a printable "label addr (port N)". */
int fw_listener_port(const struct fw_listener *l);
const char *fw_listener_name(const struct fw_listener *l);

/* Run fn on the listener's decoder with its counters held still (any thread). */
void fw_listener_with_decoder(struct fw_listener *l, void (*fn)(void *ctx, struct fw_decoder *dec), void *ctx);

/* Snapshot of the counters (any thread; approximate while running). */
void fw_listener_get_stats(struct fw_listener *l, struct fw_listener_stats *st);

#endif /* FW_LISTENER_H */
