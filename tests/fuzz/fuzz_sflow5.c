/*
 * fuzz_sflow5.c - libFuzzer target for the sFlow v5 decoder.
 *
 * Decodes the input as one datagram into a small output array (so the
 * "out full" path is reached too) and checks the decoder's own promises:
 * the return value is an error or at most `max`, and the bounded arrays
 * in info stay within their capacities.  Seeds: tests/fuzz/corpus/sflow5/
 * (raw datagrams cut from the tests/data captures).
 */
#include <stdint.h>
#include <stdlib.h>

#include "fw_sflow5.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fw_sflow5_info info;
	struct fw_flow out[8];
	const struct fw_addr udp_src = { { 0 } };
	int n = fw_sflow5_decode(data, size, &udp_src, 1700000000000, out, 8, &info);

	if (n > 8 || info.n_ifc > FW_SFLOW5_MAX_IFC || info.n_srcs > FW_SFLOW5_MAX_SRCS)
		abort();
	if (n >= 0 && info.flow_samples + info.counter_samples + info.other_samples +
	    info.discard_samples + info.bad_samples > info.samples)
		abort();
	if (n >= 0) {  /* every framed sample is counted once by type */
		uint64_t typed = 0;

		for (int t = 0; t < FW_SFLOW5_S_N; t++)
			typed += info.by_type[t];
		if (typed > info.samples || typed < (uint64_t)info.flow_samples + info.counter_samples +
		    info.other_samples + info.discard_samples)
			abort();
	}
	for (int i = 0; i < n; i++)
		if (out[i].pkts == 0 || out[i].start_ms != out[i].end_ms)
			abort();
	return 0;
}
