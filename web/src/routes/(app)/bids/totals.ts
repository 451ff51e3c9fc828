/** The sum of the bids' amounts in cents (a pipeline column's total). */
export function columnTotal(bids: ReadonlyArray<{ amountCents: number }>): number {
	return bids.reduce((sum, bid) => sum + bid.amountCents, 0);
}
