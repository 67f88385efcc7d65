/*
 * detect_file.c - detector.state_file: the shards' checkpoints in one file
 * across restarts of the standalone daemon (fw_detect_file.h).
 *
 * Format (native byte order, like the blobs; schema/detector_state.md):
 *   OFFSET  SIZE  FIELD
 *   0       8     magic "FWDSFILE"
 *   8       4     version, 1
 *   12      4     shard count n (1 .. FILE_MAX_SHARDS)
 *   16      8     saved at, unix ms (the wall clock of the save)
 *   24      8     checksum: fw_hash_bytes of bytes 0 .. 32 + 8n with this field 0
 *   32      8n    length of each shard's blob
 *   32 + 8n       the blobs, shard 0 first (each checks itself: its own
 *                 header, checksum and sizes, fw_detect_restore)
 * The file is exactly as long as the lengths say.
 *
 * Loading is all or nothing: shards restored before one that fails are
 * reset (fw_detect_reset), so the daemon never runs half on saved state.
 */
#include "fw_detect_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fw_sketch.h"

#define FILE_MAGIC "FWDSFILE"
#define FILE_VERSION 1u
#define FILE_MAX_SHARDS 64
#define FILE_HDR 32
#define FILE_SEED 0x5eedf11e5a7eULL
#define FILE_MAX_BYTES ((uint64_t)1 << 34)  /* 16 GiB: far over any table's state */

static uint64_t
header_sum(const uint8_t *hdr, size_t len)
{
	uint8_t *c = malloc(len);
	uint64_t h;

	if (c == NULL)
		return 0;  /* (never matches a written sum but by chance: refused) */
	memcpy(c, hdr, len);
	memset(c + 24, 0, 8);
	h = fw_hash_bytes(c, len, FILE_SEED);
	free(c);
	return h;
}

/* Write all of p; 0 or -errno. */
static int
write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* fsync the directory holding path, so the rename itself is durable. */
static int
sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	if (fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

int
fw_detect_file_write(const char *path, int64_t saved_ms, void *const *blobs, const size_t *lens, int n,
    char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	size_t hlen = FILE_HDR + 8 * (size_t)n;
	uint8_t *hdr;
	uint32_t v = FILE_VERSION, cnt = (uint32_t)n;
	uint64_t sum;
	int fd = -1, rc = 0;

	if (n < 1 || n > FILE_MAX_SHARDS)
		return FW_EINVAL;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return FW_EINVAL;
	}
	if ((hdr = calloc(1, hlen)) == NULL)
		return FW_ENOMEM;
	memcpy(hdr, FILE_MAGIC, 8);
	memcpy(hdr + 8, &v, 4);
	memcpy(hdr + 12, &cnt, 4);
	memcpy(hdr + 16, &saved_ms, 8);
	for (int i = 0; i < n; i++) {
		uint64_t l = lens[i];

		memcpy(hdr + FILE_HDR + 8 * (size_t)i, &l, 8);
	}
	sum = header_sum(hdr, hlen);
	memcpy(hdr + 24, &sum, 8);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(-rc));
		goto out;
	}
	rc = write_all(fd, hdr, hlen);
	for (int i = 0; i < n && rc == 0; i++)
		rc = write_all(fd, blobs[i], lens[i]);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	fd = -1;
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(-rc));
		goto out;
	}
	if (rename(tmp, path) != 0) {
		rc = -errno;
		snprintf(err, errlen, "rename %s to %s: %s", tmp, path, strerror(-rc));
		goto out;
	}
	if ((rc = sync_dir(path)) != 0)
		snprintf(err, errlen, "%s: fsync of its directory: %s", path, strerror(-rc));
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		(void)unlink(tmp);  /* (best effort: a stale .tmp is overwritten next time) */
	free(hdr);
	return rc;
}

/* The whole file into *buf (malloc'd); FW_OK, -ENOENT or another -errno. */
static int
read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
	struct stat sb;
	uint8_t *p = NULL;
	size_t got = 0;
	int fd, rc = FW_OK;

	*buf = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = -errno;
		if (rc != -ENOENT)
			snprintf(err, errlen, "cannot open it: %s", strerror(-rc));
		return rc;
	}
	if (fstat(fd, &sb) != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot read it: %s", strerror(-rc));
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > FILE_MAX_BYTES) {
		snprintf(err, errlen, "not a regular file of a plausible size");
		rc = FW_EMALFORMED;
		goto out;
	}
	if ((p = malloc(sb.st_size > 0 ? (size_t)sb.st_size : 1)) == NULL) {
		rc = FW_ENOMEM;
		snprintf(err, errlen, "%s", fw_strerror(rc));
		goto out;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t r = read(fd, p + got, (size_t)sb.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : FW_ETRUNC;
			snprintf(err, errlen, "cannot read it: %s", r < 0 ? strerror(errno) : "shorter than its size");
			goto out;
		}
		got += (size_t)r;
	}
	*buf = p;
	*len = got;
	p = NULL;
out:
	free(p);
	close(fd);
	return rc;
}

/* Header checks: FW_OK with the blob lengths at lens, or why not. */
static int
check_header(const uint8_t *p, size_t len, int n, uint64_t *lens, char *err, size_t errlen)
{
	uint32_t v, cnt;
	uint64_t sum, total;
	size_t hlen;

	if (len < FILE_HDR || memcmp(p, FILE_MAGIC, 8) != 0) {
		snprintf(err, errlen, "not a detector state file (%zu bytes, no FWDSFILE magic)", len);
		return FW_EMALFORMED;
	}
	memcpy(&v, p + 8, 4);
	memcpy(&cnt, p + 12, 4);
	if (v != FILE_VERSION) {
		snprintf(err, errlen, "file version %u, this build reads %u", v, FILE_VERSION);
		return FW_EINVAL;
	}
	if (cnt < 1 || cnt > FILE_MAX_SHARDS || len < (hlen = FILE_HDR + 8 * (size_t)cnt)) {
		snprintf(err, errlen, "damaged header (shard count %u, %zu bytes)", cnt, len);
		return FW_EMALFORMED;
	}
	memcpy(&sum, p + 24, 8);
	if (sum != header_sum(p, hlen)) {
		snprintf(err, errlen, "damaged header (checksum mismatch)");
		return FW_EMALFORMED;
	}
	if ((int)cnt != n) {
		snprintf(err, errlen, "saved by %u detector shard%s, this daemon runs %d (detector.shards)", cnt,
		    cnt == 1 ? "" : "s", n);
		return FW_EINVAL;
	}
	total = hlen;
	for (int i = 0; i < n; i++) {
		memcpy(&lens[i], p + FILE_HDR + 8 * (size_t)i, 8);
		if (lens[i] > len - total) {
			snprintf(err, errlen, "cut short: shard %d's state is past the end of the file (%zu bytes)", i, len);
			return FW_ETRUNC;
		}
		total += lens[i];
	}
	if (total != len) {
		snprintf(err, errlen, "%zu bytes after the last shard's state", len - (size_t)total);
		return FW_EMALFORMED;
	}
	return FW_OK;
}

int
fw_detect_file_load(const char *path, struct fw_detect *const *dets, int n, int64_t now_ms,
    struct fw_detect_file_info *info, char *err, size_t errlen)
{
	uint64_t lens[FILE_MAX_SHARDS];
	uint8_t *buf = NULL;
	size_t len = 0, off;
	int rc, done = 0;

	memset(info, 0, sizeof(*info));
	if (n < 1 || n > FILE_MAX_SHARDS)
		return FW_EINVAL;
	if ((rc = read_file(path, &buf, &len, err, errlen)) == -ENOENT)
		return FW_OK;
	info->found = true;
	if (rc != FW_OK || buf == NULL)
		return rc != FW_OK ? rc : FW_ENOMEM;
	info->bytes = len;
	if ((rc = check_header(buf, len, n, lens, err, errlen)) != FW_OK)
		goto out;
	memcpy(&info->saved_ms, buf + 16, 8);
	off = FILE_HDR + 8 * (size_t)n;
	for (; done < n; done++) {
		char why[200];

		why[0] = '\0';
		if ((rc = fw_detect_restore(dets[done], buf + off, (size_t)lens[done], why, sizeof(why))) != FW_OK) {
			snprintf(err, errlen, "shard %d: %s", done, why);
			goto out;
		}
		off += (size_t)lens[done];
	}
	for (int i = 0; i < n; i++) {
		struct fw_detect_stats st;

		info->open_alerts += fw_detect_resume(dets[i], now_ms);
		fw_detect_get_stats(dets[i], &st);
		info->victims += st.victims;
		info->zones += st.zones;
	}
out:
	/* All or nothing: the shards restored before the failing one start
	 * fresh as well. */
	for (int i = 0; rc != FW_OK && i < done; i++)
		if (fw_detect_reset(dets[i]) != FW_OK)
			rc = FW_ENOMEM;  /* (the caller cannot run on a half-restored set either) */
	free(buf);
	return rc;
}
