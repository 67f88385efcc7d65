/* err.c - text for fw_err codes. */
#include "fw_err.h"

#include <string.h>

const char *
fw_strerror(int err)
{
	switch (err) {
	case FW_OK:           return "ok";
	case FW_ETRUNC:       return "truncated";
	case FW_EMALFORMED:   return "malformed";
	case FW_ENOTEMPLATE:  return "no template";
	case FW_EUNSUPPORTED: return "unsupported";
	case FW_EFULL:        return "full";
	default:
		if (err < 0 && err > -1000)
			return strerror(-err);
		return "unknown error";
	}
}
