#!/usr/bin/env bash
# Exceptions on stickemu (ARMv7-M B1.5, PM0214 2.3): the exception test firmware's own checks
# (priorities, tail-chaining, masking, faults, WFI/WFE, PSP and FP frames), and lockup.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
FW=build/emu-fw
if [ ! -x "$EMU" ] || [ ! -f "$FW/exc.elf" ] || [ ! -f "$FW/lockup.elf" ] || [ ! -f "$FW/badstack.elf" ] || [ ! -f "$FW/resetpriv.elf" ]; then
    skip exc_emu "build/stickemu or the test firmwares are missing (make test-build)"
    exit 0
fi

out=$("$EMU" --load 0 "$FW/exc.elf" --run-ms 300 2>&1)
# Every check the firmware makes becomes one line here, so a check that never ran fails too.
for name in svc_then_pendsv_tail_chained primask_holds_three_pending \
    tail_chain_order_priority_then_number nothing_active_or_pending_after \
    preemption_and_tail_chain prigroup5_subpriority_does_not_preempt prigroup0_preempts \
    basepri_masks_lower_priority basepri_lets_higher_through basepri_cleared_takes_pending \
    primask_masks primask_cleared_takes_pending busfault_taken busfault_preciserr_bfarvalid \
    busfault_stacked_pc cfsr_write_one_clears flash_key_bus_error_is_busfault hardfault_escalation udf_escalates_undefinstr \
    udf_usagefault_enabled bkpt_hardfault_debugevt wfi_woken_by_systick \
    wfi_wakes_with_primask_not_taken taken_after_cpsie wfe_after_sev_returns_at_once \
    wfe_sevonpend_wakes psp_exc_return psp_frame_on_process_stack fp_exc_return_e9 \
    fp_frame_fpcar fp_fpca_clear_in_handler fp_s0_s15_restored lazy_lspact_set_in_handler_without_fp lazy_context_kept \
    sleeponexit_sleeps_until_cleared; do
    if grep -q "uart: ok $name\$" <<<"$out"; then
        pass "$name"
    else
        fail "$name" "$(grep -E "uart: (FAILED )?$name|fault" <<<"$out" | head -n 3)"
    fi
done
check "VTOR table in RAM honoured" grep -q 'uart: ok VTOR reads back the RAM table' <<<"$out"
check "firmware ran to the end, state=bootloader (no fault handler active)" \
    test "$(grep -c 'uart: done' <<<"$out")-$(result_key "$out" state)" = 1-bootloader
check "fault lines name the exception and the stacked pc" \
    grep -q 'exception: BusFault (PRECISERR: read of an unmapped address 0x60000000) at pc=0x080' <<<"$out"

# A fault inside the HardFault handler locks the core up: the run ends at once.
out=$("$EMU" --load 0 "$FW/lockup.elf" --run-ms 300 2>&1)
check "lockup ends the run as state=fault" test "$(result_key "$out" state)" = fault
check "lockup is reported at the first fault" test "$(result_key "$out" addr)" = 0x60000000
check "lockup line names both faults" grep -q \
    'fault: lockup: BusFault PRECISERR: read of an unmapped address 0x70000000 while in the HardFault handler; first fault: read of an unmapped address 0x60000000' <<<"$out"
check "lockup stops the clock at the fault" awk -v t="$(result_key "$out" t_ms)" 'BEGIN { exit !(t < 5) }'

# A stack pointer outside RAM: the exception frame cannot be written (issue 14 item 7).
out=$("$EMU" --load 0 "$FW/badstack.elf" --run-ms 300 2>&1)
check "stack outside RAM: lockup named" grep -q \
    'fault: lockup: stacking for SVCall failed: MSP 0x30000000 is outside RAM' <<<"$out"
check "stack outside RAM: state=fault" test "$(result_key "$out" state)" = fault

# A reset from unprivileged Thread mode on PSP restarts privileged on MSP (it did not).
out=$("$EMU" --load 0 "$FW/resetpriv.elf" --run-ms 50 2>&1)
check "reset clears CONTROL" grep -q 'uart: ok reset_clears_control' <<<"$out"
check "reset runs on MSP" grep -q 'uart: ok reset_runs_on_msp' <<<"$out"
