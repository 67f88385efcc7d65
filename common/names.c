/* names.c - text names of the fw_records.h enums (fw_names.h). */
#include "fw_names.h"

#include <stddef.h>

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

const char *
fw_event_name(int event)
{
	switch (event) {
	case FW_EV_START: return "start";
	case FW_EV_UPDATE: return "update";
	case FW_EV_END: return "end";
	default: return "unknown";
	}
}

const char *
fw_end_reason_name(int reason)
{
	switch (reason) {
	case FW_END_QUIET: return "quiet";
	case FW_END_END_OF_INPUT: return "end_of_input";
	case FW_END_SHUTDOWN: return "shutdown";
	case FW_END_RESTART: return "restart";
	default: return NULL;
	}
}
