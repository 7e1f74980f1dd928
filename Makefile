# Development commands for account_email_receiver. See README.md.
SHELL := /bin/bash
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
ODOO_SITE := $(ROOT)/.odoo/usr/lib/python3/dist-packages
PY := $(ROOT)/.venv/bin/python
ODOO := $(PY) $(ROOT)/.odoo/usr/bin/odoo
ADDONS := $(ODOO_SITE)/odoo/addons,$(ROOT)/.addons
export PGHOST ?= 127.0.0.1
export PGPORT ?= 5432
DB_USER ?= $(shell id -un)
ODOO_ARGS := --addons-path=$(ADDONS) --db_host=$(PGHOST) --db_port=$(PGPORT) --db_user=$(DB_USER) --data-dir=$(ROOT)/.run/data
DEMO_DB ?= email_receiver_demo
HTTP_PORT ?= 8069
RELAY_PORT ?= 2525
SINK_PORT ?= 2526
DNS_PORT ?= 5354
# make robot-eval: a checkout (or git mirror) of https://github.com/ZUGFeRD/corpus
ZUGFERD_CORPUS ?= $(ROOT)/.run/zugferd-corpus
INVOICE2DATA ?= $(ROOT)/.run/invoice2data

.PHONY: bootstrap run test test-core lint bench robot-eval reconcile concurrency concurrency-two-servers screenshots demo-mail demo-mail-untrusted demo-mail-pdf demo-mail-sales check-real-install clean

bootstrap:
	@bash $(ROOT)/dev/bootstrap.sh

run: bootstrap
	@bash $(ROOT)/dev/run.sh "$(DEMO_DB)" "$(HTTP_PORT)" "$(RELAY_PORT)" "$(SINK_PORT)" "$(DNS_PORT)" $(ODOO_ARGS)

test: bootstrap
	@bash $(ROOT)/dev/test.sh $(ODOO_ARGS)

test-core: bootstrap
	@bash $(ROOT)/dev/test_core.sh $(ODOO_ARGS)

lint: bootstrap
	@bash $(ROOT)/dev/lint.sh

bench: bootstrap
	@$(PY) $(ROOT)/dev/bench_gateway.py $(ODOO_ARGS)
	@$(PY) $(ROOT)/dev/bench_pdf_robot.py

robot-eval: bootstrap
	@test -e "$(ZUGFERD_CORPUS)" || { echo "robot-eval: no corpus at $(ZUGFERD_CORPUS); run: git clone https://github.com/ZUGFeRD/corpus $(ZUGFERD_CORPUS) (or pass ZUGFERD_CORPUS=path)"; exit 2; }
	@$(PY) $(ROOT)/dev/robot_eval.py "$(ZUGFERD_CORPUS)" $(if $(wildcard $(INVOICE2DATA)),--invoice2data "$(INVOICE2DATA)",)

reconcile: bootstrap
	@$(PY) $(ROOT)/dev/bench_reconcile.py $(ODOO_ARGS)

screenshots: bootstrap
	@$(PY) $(ROOT)/dev/screenshots.py $(ODOO_ARGS)

concurrency: bootstrap
	@$(PY) $(ROOT)/dev/bench_concurrency.py $(ODOO_ARGS)

concurrency-two-servers: bootstrap
	@$(PY) $(ROOT)/dev/bench_two_servers.py $(ODOO_ARGS)

demo-mail:
	@$(PY) $(ROOT)/dev/demo_mail.py --port $(RELAY_PORT) --db $(DEMO_DB)

demo-mail-untrusted:
	@$(PY) $(ROOT)/dev/demo_mail.py --port $(RELAY_PORT) --db $(DEMO_DB) --untrusted

demo-mail-pdf:
	@$(PY) $(ROOT)/dev/demo_mail.py --port $(RELAY_PORT) --db $(DEMO_DB) --pdf

demo-mail-sales:
	@$(PY) $(ROOT)/dev/demo_mail.py --port $(RELAY_PORT) --db $(DEMO_DB) --sales

check-real-install: bootstrap
	@bash $(ROOT)/dev/check_real_install.sh

clean:
	rm -rf $(ROOT)/.odoo $(ROOT)/.venv $(ROOT)/.run $(ROOT)/.addons
