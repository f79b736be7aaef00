# One command runner. `make run` and `make test` are the README's Quickstart.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: wechat-demo install browser lint format typecheck test bench run chat lock clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)  ## create .venv with the pinned dependencies and newsbot itself

lint: install  ## ruff lint and format check
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

format: install
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

typecheck: install  ## mypy (strict on the pure core, the ports and the service)
	$(VENV)/bin/mypy src/newsbot

# The digest-page tests drive Debian's headless Chromium; a CJK font makes its screenshots legible.
browser:  ## install chromium and a Chinese font with apt-get when missing (the tests skip without)
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list :lang=zh family 2>/dev/null | grep -q .; then \
	  echo "installing chromium and fonts-wqy-microhei (apt-get)"; \
	  { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei; } >/dev/null 2>&1 \
	    || echo "could not install chromium: the browser tests will be skipped"; \
	fi

test: install browser  ## the whole test suite (PostgreSQL tests run when NEWSBOT_TEST_POSTGRES_URL is set)
	$(PY) -m pytest -q

bench: install  ## every benchmark, one after another
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

run: install  ## the bot on the offline demo: SQLite, the bundled sample portal, the console channel
	$(VENV)/bin/newsbot --config config/demo.toml run

# The offline WeChat demo: newsbot run with made-up credentials, the simulator as WeChat.
WECHAT_DEMO_ENV := NEWSBOT_WECHAT_ENABLED=true NEWSBOT_WECHAT_TOKEN=demo-token \
  NEWSBOT_WECHAT_APP_ID=wxdemo0000000000 NEWSBOT_WECHAT_APP_SECRET=demo-secret \
  NEWSBOT_WECHAT_ENCODING_AES_KEY=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG \
  NEWSBOT_WECHAT_API_BASE_URL=http://127.0.0.1:8090 NEWSBOT_HTTP_PUBLIC_URL=http://127.0.0.1:8080

wechat-demo: install  ## be a WeChat reader of the offline demo (the simulator plays WeChat)
	@mkdir -p var
	@env $(WECHAT_DEMO_ENV) $(VENV)/bin/newsbot --config config/demo.toml run --no-console \
	  > var/wechat-demo.log 2>&1 & pid=$$!; trap "kill $$pid 2>/dev/null" EXIT; \
	  for i in $$(seq 100); do $(PY) -c "import httpx;httpx.get('http://127.0.0.1:8080/healthz')" 2>/dev/null && break; sleep 0.3; done; \
	  env $(WECHAT_DEMO_ENV) $(VENV)/bin/newsbot --config config/demo.toml wechat simulate

chat: install  ## talk to the bot in the terminal
	$(VENV)/bin/newsbot --config config/demo.toml chat

lock:  ## re-pin requirements.lock from the current venv
	$(PY) -m pip freeze --exclude-editable | grep -v '^newsbot' > requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
