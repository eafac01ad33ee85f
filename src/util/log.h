/* log — one-line diagnostics on stderr with a UTC timestamp. Never for request-rate events. */
#ifndef S3TRAIL_LOG_H
#define S3TRAIL_LOG_H

void log_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_info(...) log_msg("info", __VA_ARGS__)
#define log_warn(...) log_msg("warn", __VA_ARGS__)
#define log_error(...) log_msg("error", __VA_ARGS__)

#endif
