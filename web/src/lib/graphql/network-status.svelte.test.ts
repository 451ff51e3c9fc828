import { describe, expect, it, vi } from 'vitest';
import { NetworkStatus } from './network-status.svelte';

const close = (code: number) => ({ code, reason: '', wasClean: code === 1000 });

describe('NetworkStatus', () => {
	it('starts not lost', () => {
		const status = new NetworkStatus();
		expect(status.lost).toBe(false);
		expect(status.socket).toBe('unknown');
	});

	it('is lost when the socket closes abnormally, and recovers when it connects again', () => {
		const status = new NetworkStatus();
		const reconnected = vi.fn();
		status.onReconnect(reconnected);
		status.connected();
		status.closed(close(1006));
		expect(status.lost).toBe(true);
		expect(reconnected).not.toHaveBeenCalled();
		status.connected();
		expect(status.lost).toBe(false);
		expect(reconnected).toHaveBeenCalledTimes(1);
	});

	it('does not count a deliberate close (normal or an auth refusal) as a lost connection', () => {
		const status = new NetworkStatus();
		status.closed(close(1000));
		expect(status.lost).toBe(false);
		status.closed(close(4401));
		expect(status.lost).toBe(false);
		expect(status.lastCloseCode).toBe(4401);
		status.closed(close(4499)); // terminated by the client after a frozen socket: a loss
		expect(status.lost).toBe(true);
	});

	it('is lost on an HTTP network failure, and recovers on the next answer', () => {
		const status = new NetworkStatus();
		const reconnected = vi.fn();
		status.onReconnect(reconnected);
		status.fetchFailed();
		expect(status.lost).toBe(true);
		status.fetchSucceeded();
		expect(status.lost).toBe(false);
		expect(reconnected).toHaveBeenCalledTimes(1);
	});

	it('counts a socket reconnect as proof that HTTP works again', () => {
		const status = new NetworkStatus();
		status.fetchFailed();
		status.closed(close(1006));
		status.connected();
		expect(status.http).toBe('up');
		expect(status.lost).toBe(false);
	});

	it('stays lost while one path is still down, and tells listeners once per recovery', () => {
		const status = new NetworkStatus();
		const reconnected = vi.fn();
		status.onReconnect(reconnected);
		status.closed(close(1006));
		status.fetchFailed();
		status.fetchSucceeded();
		expect(status.lost).toBe(true);
		status.connected();
		status.connected();
		expect(reconnected).toHaveBeenCalledTimes(1);
	});

	it('stops telling a listener once it unregisters', () => {
		const status = new NetworkStatus();
		const reconnected = vi.fn();
		const off = status.onReconnect(reconnected);
		off();
		status.fetchFailed();
		status.fetchSucceeded();
		expect(reconnected).not.toHaveBeenCalled();
	});
});
