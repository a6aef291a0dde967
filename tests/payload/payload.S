/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A 64 KiB raw firmware image for `qemu -bios` (libvirt: <loader type='rom'>):
 * 16-bit real-mode code that writes to the first serial port (0x3f8).
 *
 * Built twice:
 *  - default:     print "multikvm payload: tick N tsc=HEX" for ever, one line
 *                 every PAYLOAD_SPIN iterations of a busy loop: guest progress
 *                 that a test reads from the serial log, stamped with the
 *                 guest's TSC so that a pause of the guest shows as a gap
 *                 between two consecutive stamps;
 *  - PAYLOAD_EXIT: print "multikvm payload: ok" and leave QEMU through
 *                 isa-debug-exit (port 0xf4; QEMU exits with status 3 for 1).
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ss
	movw	$0x7000, %sp
	movw	%cs, %ax
	movw	%ax, %ds

	movw	$banner, %si
	call	puts
#ifdef PAYLOAD_EXIT
	movw	$okmsg, %si
	call	puts
	movb	$1, %al
	outb	%al, $0xf4
1:	hlt
	jmp	1b
#else
	xorl	%ebx, %ebx		/* tick counter */
tick:
	movl	$PAYLOAD_SPIN, %ecx
spin:
	decl	%ecx
	jnz	spin
	incl	%ebx
	movw	$tickmsg, %si
	call	puts
	movl	%ebx, %eax
	call	putdec
	movw	$tscmsg, %si
	call	puts
	rdtsc
	xchgl	%eax, %edx
	call	puthex
	movl	%edx, %eax
	call	puthex
	movb	$'\n', %al
	call	putc
	jmp	tick

/* print eax as 8 hex digits */
puthex:
	pushl	%eax
	pushl	%ecx
	pushl	%edx
	movl	%eax, %edx
	movw	$8, %cx
5:	roll	$4, %edx
	movb	%dl, %al
	andb	$0xf, %al
	addb	$'0', %al
	cmpb	$'9', %al
	jbe	6f
	addb	$('a' - '9' - 1), %al
6:	call	putc
	loop	5b
	popl	%edx
	popl	%ecx
	popl	%eax
	ret

/* print eax in decimal */
putdec:
	pushl	%eax
	pushl	%ecx
	pushl	%edx
	pushl	%esi
	xorw	%si, %si
	movl	$10, %ecx
2:	xorl	%edx, %edx
	divl	%ecx
	pushw	%dx
	incw	%si
	testl	%eax, %eax
	jnz	2b
3:	popw	%ax
	addb	$'0', %al
	call	putc
	decw	%si
	jnz	3b
	popl	%esi
	popl	%edx
	popl	%ecx
	popl	%eax
	ret
#endif

/* print the NUL-terminated string at ds:si */
puts:
	lodsb
	testb	%al, %al
	jz	4f
	call	putc
	jmp	puts
4:	ret

/* write al to COM1 */
putc:
	pushw	%dx
	movw	$0x3f8, %dx
	outb	%al, %dx
	popw	%dx
	ret

banner:	.asciz	"multikvm payload: start\n"
#ifdef PAYLOAD_EXIT
okmsg:	.asciz	"multikvm payload: ok\n"
#else
tickmsg: .asciz	"multikvm payload: tick "
tscmsg:	.asciz	" tsc="
#endif

	/* reset vector: physical 0xffff0 = offset 0xfff0 of the 64 KiB image */
	.org	0xfff0
	ljmp	$0xf000, $_start
	.org	0x10000
