/* fuzz_nf5.c - NetFlow v5 decoder on arbitrary bytes (one datagram). */
#include <stddef.h>
#include <stdint.h>

#include "fw_nf5.h"
#include "fw_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fw_flow out[FW_NF5_MAX_RECS];
	struct fw_addr exporter = { { 0 } };
	struct fw_nf5_hdr h;
	int n = fw_nf5_decode(data, size, &exporter, out, FW_NF5_MAX_RECS, &h);

	/* Sniffing and decoding agree on what a whole v5 datagram is. */
	if (fw_pkt_sniff(data, size) == FW_PAYLOAD_NF5 && n <= 0)
		__builtin_trap();
	if (n > FW_NF5_MAX_RECS)
		__builtin_trap();
	return 0;
}
