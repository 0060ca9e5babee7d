/* notify.h — tell the service manager what the daemon is doing, over the
 * sd_notify(3) protocol. The only module that includes systemd headers.
 *
 * Every call is a no-op when NOTIFY_SOCKET is unset (run by hand, --once,
 * tests). Failures to send are not errors for the caller: the first one is
 * logged once, the rest are silent.
 *
 * What the loop (daemon/loop.c) does with them:
 *   - notify_ready() once the spool is open and the loop is about to run;
 *   - notify_status() after each pass, with counts ("filed=3 outbox=1 ...");
 *   - on SIGHUP: notify_reloading() before reading the configuration, then
 *     notify_ready() after the reload, whether the new configuration was
 *     taken or the old one kept. systemd 252 (Type=notify) holds the unit in
 *     "reloading" until that READY=1 arrives: never skip it;
 *   - notify_stopping() when SIGTERM/SIGINT is seen, before finishing the
 *     current message;
 *   - notify_watchdog() at least every usec/2 from notify_watchdog_enabled(),
 *     and only from a point that shows the loop (and IMAP session) is alive;
 *     every wait must therefore be bounded by that half-interval. */
#ifndef INTAKED_NOTIFY_H
#define INTAKED_NOTIFY_H

#include <stdbool.h>

/* Longest STATUS= text sent; longer text is cut. Newlines become spaces, so
 * a status built from configuration values cannot inject other fields. */
#define NOTIFY_STATUS_MAX 256

void notify_ready(void);
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* RELOADING=1 with MONOTONIC_USEC= (which systemd >= 253 requires for
 * Type=notify-reload, and 252 ignores). Must be followed by notify_ready(). */
void notify_reloading(void);
void notify_stopping(void);
void notify_watchdog(void);

/* True when the service manager expects WATCHDOG=1 pings from this process
 * (WatchdogSec= set and WATCHDOG_PID, if given, is ours); *usec_r is then
 * the watchdog interval in microseconds. *usec_r is 0 when false. */
bool notify_watchdog_enabled(long *usec_r);

#endif
