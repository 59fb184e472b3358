/*
 * Minimal vector table for running the unit tests on QEMU's mps2-an386 (Cortex-M4) board.
 * The program is linked with newlib's rdimon specs: printf and exit go through semihosting, so
 * QEMU (-semihosting-config enable=on,target=native) prints the output and returns main's status.
 */
#include <stdint.h>

extern void _start(void);

typedef void (*mujo_vector_t)(void);

/* Reset: enable the FPU (CP10/CP11 full access in CPACR; code is built with -mfloat-abi=hard), then
 * hand over to newlib's crt0, which sets up the stack and heap from semihosting and calls main. */
static void mujo_reset(void) {
    volatile uint32_t *cpacr = (volatile uint32_t *)0xE000ED88u;
    *cpacr |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    _start();
}

/* initial stack pointer: top of the 4 MB SSRAM2/3 at 0x20000000; reset handler */
__attribute__((section(".vectors"), used)) const mujo_vector_t mujo_vectors[2] = {
    (mujo_vector_t)0x20400000u,
    mujo_reset,
};
