/** What is known about one path to the API: not tried yet, working, or failing. */
export type LinkState = 'unknown' | 'up' | 'down';

/** Close codes that are a decision of the server (auth, protocol), not a lost connection. */
const isDeliberateClose = (code: number) => code === 1000 || (code >= 4400 && code < 4499);

/**
 * Whether the browser can reach the API, fed by the graphql-ws client's `connected`/`closed` events and by
 * the outcome of every HTTP operation (see `createClient`). One instance per browser session.
 *
 * Guarantees: `lost` is true from the first failure until the next success on the failing path; a socket
 * that (re)connects proves the API reachable, so it clears an HTTP failure too. Listeners registered with
 * `onReconnect` run once per recovery (lost → not lost), after the state has changed, in registration order.
 */
export class NetworkStatus {
	socket = $state<LinkState>('unknown');
	http = $state<LinkState>('unknown');
	/** The close code of the last deliberate close (e.g. 4401 Unauthorized), for the session layer. */
	lastCloseCode = $state<number | null>(null);
	readonly lost = $derived(this.socket === 'down' || this.http === 'down');

	#listeners = new Set<() => void>();

	/** graphql-ws `on.connected`: the server acknowledged the connection. */
	connected = () => this.#update(() => ((this.socket = 'up'), this.http !== 'unknown' && (this.http = 'up')));

	/** graphql-ws `on.closed`: any other close than a deliberate one means the connection is lost. */
	closed = (event: unknown) => {
		const code = typeof event === 'object' && event && 'code' in event ? Number(event.code) : 0;
		this.#update(() => {
			if (isDeliberateClose(code)) {
				this.lastCloseCode = code;
				this.socket = 'unknown';
			} else this.socket = 'down';
		});
	};

	/** An HTTP operation could not reach the API (a network error, not a GraphQL error). */
	fetchFailed = () => this.#update(() => (this.http = 'down'));

	/** An HTTP operation got an answer from the API, whatever its GraphQL errors. */
	fetchSucceeded = () => this.#update(() => (this.http = 'up'));

	/** Runs `listener` after every recovery; returns the function that unregisters it. */
	onReconnect(listener: () => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	#update(change: () => unknown) {
		const wasLost = this.lost;
		change();
		if (wasLost && !this.lost) for (const listener of [...this.#listeners]) listener();
	}
}
