/*
 * endpoint.c - "HOST:PORT" text -> socket address, for the config check
 * and the flow listeners (fw_endpoint.h).  Pure parsing, no I/O.
 */
#include "fw_endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMS "HOST:PORT, [IPV6]:PORT or PORT"

int
fw_endpoint_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len,
    char *err, size_t errlen)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *port_s;
	char *end;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (text[0] == '[') {
		const char *rb = strchr(text, ']');

		if (rb == NULL || rb[1] != ':') {
			snprintf(err, errlen, "'%s': expected [IPV6]:PORT", text);
			return FW_EINVAL;
		}
		if ((size_t)(rb - text - 1) >= sizeof(host))
			goto bad_host;
		memcpy(host, text + 1, (size_t)(rb - text - 1));
		host[rb - text - 1] = '\0';
		port_s = rb + 2;
	} else if ((colon = strrchr(text, ':')) != NULL) {
		if ((size_t)(colon - text) >= sizeof(host))
			goto bad_host;
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = '\0';
		port_s = colon + 1;
	} else {
		snprintf(host, sizeof(host), "::");
		port_s = text;
	}
	if (*port_s == '\0') {
		snprintf(err, errlen, "'%s': no port (" FORMS ")", text);
		return FW_EINVAL;
	}
	errno = 0;
	port = strtol(port_s, &end, 10);
	if (*end != '\0' || port_s[0] == '-' || port_s[0] == '+' || port_s[0] == ' ') {
		snprintf(err, errlen, "'%s': '%s' is not a port number (" FORMS ")", text, port_s);
		return FW_EINVAL;
	}
	if (errno != 0 || port > 65535) {
		snprintf(err, errlen, "'%s': port %s is out of range (0 .. 65535)", text, port_s);
		return FW_EINVAL;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return FW_OK;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return FW_OK;
	}
bad_host:
	snprintf(err, errlen, "'%s': the host is not an IPv4 or IPv6 address (" FORMS ")", text);
	return FW_EINVAL;
}

long
fw_endpoint_list_count(const char *list)
{
	long n = 0;

	for (const char *p = list; *p != '\0'; p += strcspn(p, ", ")) {
		p += strspn(p, ", ");
		n += *p != '\0';
	}
	return n;
}

int
fw_endpoint_list_check(const char *list, char *err, size_t errlen)
{
	char buf[1024], *save = NULL;
	struct sockaddr_storage ss;
	socklen_t len;

	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "address list longer than %zu bytes", sizeof(buf) - 1);
		return FW_EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	/* The same separators as the listeners' loop in cli/cmd_run.c. */
	for (char *tok = strtok_r(buf, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save))
		if (fw_endpoint_parse(tok, &ss, &len, err, errlen) != FW_OK)
			return FW_EINVAL;
	return FW_OK;
}
