/*
 * fw_err.h - the one error enum of Floodwatch.
 *
 * 0 is success, failures are negative: errno-mapped first (FW_ENOMEM is
 * -ENOMEM), then domain codes from -1000.  Counting functions return >= 0 or
 * one of these.  fw_strerror() gives a static text for any value.
 */
#ifndef FW_ERR_H
#define FW_ERR_H

#include <errno.h>

#define FW_MUSTCHECK __attribute__((warn_unused_result))

enum fw_err {
	FW_OK = 0,
	FW_ENOMEM = -ENOMEM,
	FW_EINVAL = -EINVAL,
	FW_EAGAIN = -EAGAIN,
	FW_EIO = -EIO,
	FW_ENOENT = -ENOENT,
	FW_ETRUNC = -1000,   /* input shorter than its own length fields claim */
	FW_EMALFORMED,       /* breaks the format: bad version, zero length, loop */
	FW_ENOTEMPLATE,      /* v9/IPFIX data before its template */
	FW_EUNSUPPORTED,     /* well-formed but not handled */
	FW_EFULL,            /* bounded table or ring full: item dropped, counted */
};

/* Static text for an fw_err (or any negative errno); never NULL. */
const char *fw_strerror(int err);

#endif /* FW_ERR_H */
