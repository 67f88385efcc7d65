/*
 * fw_endpoint.h - listen addresses written as text in the config:
 * "HOST:PORT", "[V6]:PORT" or a bare "PORT" (every address, dual-stack),
 * where HOST is a literal IPv4 or IPv6 address (no names: a listener must
 * not depend on DNS at start) and PORT is 0 .. 65535 (0: the kernel picks).
 *
 * One parser serves the config check and the listeners, so an address that
 * check-config accepts is one that run can try to bind, and a bad one is
 * reported with the file, line and key instead of at bind time.
 */
#ifndef FW_ENDPOINT_H
#define FW_ENDPOINT_H

#include <stddef.h>
#include <sys/socket.h>

#include "fw_err.h"

/*
 * Parse one address into *ss (AF_INET or AF_INET6, *len its size).
 * Returns FW_OK, or FW_EINVAL with a message in err that quotes the text
 * and says what is wrong (host not an address, port missing or out of
 * range).  Any thread.
 */
int fw_endpoint_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len,
    char *err, size_t errlen) FW_MUSTCHECK;

/*
 * Check a comma- or space-separated list of addresses (empty: none).
 * Returns FW_OK or FW_EINVAL with the first bad address's message.
 */
int fw_endpoint_list_check(const char *list, char *err, size_t errlen) FW_MUSTCHECK;

/* Number of addresses in such a list (its words; not checked). */
long fw_endpoint_list_count(const char *list);

#endif /* FW_ENDPOINT_H */
