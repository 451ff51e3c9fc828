import { NetworkStatus } from '$lib/graphql/network-status.svelte';
import { render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { describe, expect, it, vi } from 'vitest';
import ConnectionBanner from './ConnectionBanner.svelte';

const lostText = 'Connection lost — reconnecting…';

describe('ConnectionBanner', () => {
	it('shows nothing while connected', () => {
		const status = new NetworkStatus();
		status.connected();
		render(ConnectionBanner, { status });
		expect(screen.getByRole('status').textContent?.trim()).toBe('');
	});

	it('appears when the connection is lost and hides on recovery, calling onReconnect once', () => {
		const status = new NetworkStatus();
		const onReconnect = vi.fn();
		render(ConnectionBanner, { status, onReconnect });
		status.connected();
		status.closed({ code: 1006 });
		flushSync();
		expect(screen.getByRole('status').textContent?.trim()).toBe(lostText);
		expect(onReconnect).not.toHaveBeenCalled();

		status.connected();
		flushSync();
		expect(screen.queryByText(lostText)).toBeNull();
		expect(onReconnect).toHaveBeenCalledTimes(1);
	});

	it('stops calling onReconnect once unmounted', () => {
		const status = new NetworkStatus();
		const onReconnect = vi.fn();
		const { unmount } = render(ConnectionBanner, { status, onReconnect });
		unmount();
		status.fetchFailed();
		status.fetchSucceeded();
		expect(onReconnect).not.toHaveBeenCalled();
	});
});
