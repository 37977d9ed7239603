# hugepage_alloc: a patch series for Linux 7.3 and the tooling around it.
# See README.md.  Every target installs what it needs (scripts/deps.sh).
S := scripts

.PHONY: demo test bench check apply export build kunit vm stress series clean distclean

demo:		## boot the patched kernel and run the guest_memfd demo
	$(S)/deps.sh && $(S)/apply.sh && $(S)/build.sh && $(S)/demo.sh

test:		## every test; ends with "N passed, N failed"
	$(S)/test.sh

bench:		## guest_memfd benchmark -> results/ (its own non-debug kernel)
	$(S)/deps.sh && $(S)/apply.sh && $(S)/bench.sh

check:		## series checks: applies, round-trips, checkpatch, bisectable
	$(S)/deps.sh && $(S)/check.sh

apply:		## work/linux = base + patches/ (fresh)
	$(S)/deps.sh && $(S)/apply.sh

export:		## work/linux commits -> patches/
	$(S)/export.sh

build:		## build work/linux for the VM (work/build/vm)
	$(S)/deps.sh && $(S)/build.sh

kunit:		## the KUnit suite with kunit.py on QEMU x86_64 (needs a built kernel)
	$(S)/deps.sh && $(S)/kunit.sh

vm:		## selftests in the VM (needs a built kernel)
	$(S)/deps.sh && $(S)/selftests.sh && $(S)/vm-run.sh

STRESS_SECS ?= 300
stress:		## gmem_stress in the VM, STRESS_SECS (300) a pool: 10 min (needs a built kernel)
	$(S)/deps.sh && $(S)/selftests.sh && $(S)/vm-run.sh --timeout $$((2 * $(STRESS_SECS) + 600)) \
		'/tests/bin/gmem_stress $(STRESS_SECS)'

series:		## b4 prep + b4 send -o work/outgoing (a dry run: no mail)
	$(S)/deps.sh && $(S)/series.sh

clean:		## drop builds and logs, keep the fetched base
	rm -rf work/build work/logs work/linux

distclean:	## everything under work/
	rm -rf work
