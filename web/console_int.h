/*
 * console_int.h - private to web/: the web console's files, compiled in
 * from web/console/ by build-aux/embed-web.sh (build/gen/fw_embedded.c),
 * so the daemon serves them without files beside it.
 */
#ifndef FW_CONSOLE_INT_H
#define FW_CONSOLE_INT_H

#include <stddef.h>

struct fw_console_asset {
	const char *name;              /* file name in web/console/ */
	const char *text;              /* its contents (text, NUL-terminated) */
};

extern const struct fw_console_asset fw_console_assets[];
extern const size_t fw_console_nassets;

#endif /* FW_CONSOLE_INT_H */
