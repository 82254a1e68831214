/*
 * util.c - helpers every module may call and that call no other module:
 * the monotonic and wall clocks, and printable copies of client-supplied
 * strings for log lines. Safe on any thread (no mosquitto_* calls).
 */
#include <string.h>
#include <time.h>

#include "cloudsignal.h"

/* CLOCK_MONOTONIC in ms: deadlines, windows, backoffs (cs_plugin.now_ms by default). */
int64_t cs_util__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* CLOCK_REALTIME in ms since the epoch: the "at" of events and reports. */
int64_t cs_util__wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copy a client-supplied string for a log line: cut long values, replace
 * control characters so nobody can forge log lines. */
void cs_util__printable(const char *in, char *out, size_t outlen)
{
	size_t i = 0;

	if(outlen == 0) return;
	if(in == NULL) in = "(null)";
	for(; in[i] && i + 1 < outlen; i++){
		unsigned char c = (unsigned char)in[i];
		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[i] = '\0';
	if(in[i] && outlen > 4){
		memcpy(out + outlen - 4, "...", 4);
	}
}
