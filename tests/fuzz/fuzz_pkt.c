/*
 * fuzz_pkt.c - the bytes as a frame of every link type we parse; whatever
 * UDP payload is found is sniffed.  The payload must lie inside the input.
 */
#include <stddef.h>
#include <stdint.h>

#include "fw_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int links[] = {
		FW_LINK_NULL, FW_LINK_ETHERNET, FW_LINK_RAW, FW_LINK_RAW_ALT, FW_LINK_LOOP,
		FW_LINK_LINUX_SLL, FW_LINK_IPV4, FW_LINK_IPV6, FW_LINK_NFLOG, FW_LINK_LINUX_SLL2,
	};
	struct fw_udp u;

	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		if (fw_pkt_udp(links[i], data, size, &u) != FW_OK)
			continue;
		if (u.payload < data || u.len > size || u.payload - data > (ptrdiff_t)(size - u.len))
			__builtin_trap();
		(void)fw_pkt_sniff(u.payload, u.len);
		(void)fw_pkt_kind_name(fw_pkt_sniff(u.payload, u.len));
	}
	(void)fw_pkt_sniff(data, size);
	return 0;
}
