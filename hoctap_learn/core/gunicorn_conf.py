"""gunicorn settings for `hoctap serve` and deploy/hoctap-web.service.

Used as `gunicorn -c python:hoctap_learn.core.gunicorn_conf 'hoctap_learn:create_app()'`;
command-line options (--bind, --workers, --threads) override these. Every value can also be
set with gunicorn's own GUNICORN_CMD_ARGS.
"""

import os

bind = f"127.0.0.1:{os.environ.get('PORT', '5000')}"
workers = 2
# Threads share one process's memory: with the in-process (memory://) rate-limit storage the
# limits of one worker are exact; several workers need HOCTAP_REDIS_URL.
threads = 4
worker_class = "gthread"
timeout = 60
graceful_timeout = 15
keepalive = 5
# hoctap_learn writes its own request log line (core/requestlog.py): no second access log.
accesslog = None
errorlog = "-"
# Trust X-Forwarded-* only from the local reverse proxy (deploy/nginx/hoctap.conf).
forwarded_allow_ips = "127.0.0.1,::1"
proc_name = "hoctap-web"
