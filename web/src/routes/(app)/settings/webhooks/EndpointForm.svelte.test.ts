import { fireEvent, render, screen } from '@testing-library/svelte';
import { CombinedError } from '@urql/core';
import { describe, expect, it } from 'vitest';
import { FormSubmission } from '$lib/components/form-submission.svelte';
import { emptyDraft } from './endpoint-form';
import EndpointForm from './EndpointForm.svelte';

const eventTypes = [
	{ name: 'job.created', description: 'A job was created.' },
	{ name: 'job.archived', description: 'A job was archived.' },
	{ name: 'bid.won', description: 'A bid was won.' },
	{ name: 'webhook.test', description: 'A test event.' }
];

function renderForm(onsubmit: () => Promise<unknown> = async () => undefined) {
	const submission = new FormSubmission();
	const draft = $state(emptyDraft());
	render(EndpointForm, { props: { id: 'ep', label: 'Add an endpoint', draft, eventTypes, submission, submitLabel: 'Add endpoint', onsubmit } });
	return { submission, draft };
}

describe('EndpointForm', () => {
	it('offers the event types grouped by entity, without the test event', () => {
		renderForm();
		const groups = screen.getAllByRole('group').map((g) => g.querySelector('legend')?.textContent);
		expect(groups).toEqual(['Events to receive', 'Job', 'Bid']);
		expect(screen.getAllByRole('checkbox').map((c) => (c as HTMLInputElement).value)).toEqual(['job.created', 'job.archived', 'bid.won']);
	});

	it('fills the draft from what is typed and ticked', async () => {
		const { draft } = renderForm();
		await fireEvent.input(screen.getByLabelText('URL'), { target: { value: 'https://partner.example/hooks' } });
		await fireEvent.click(screen.getByRole('checkbox', { name: /bid\.won/ }));
		expect(draft.url).toBe('https://partner.example/hooks');
		expect(draft.filterTypes).toEqual(['bid.won']);
	});

	it("shows the server's messages next to their fields, and focuses the first", async () => {
		const error = new CombinedError({
			graphQLErrors: [{ message: 'the URL resolves to a private address', extensions: { code: 'BAD_USER_INPUT', field: ['input', 'url'] } }]
		});
		const { submission } = renderForm(() => submission.send(async () => ({ error })));
		await fireEvent.submit(screen.getByRole('form', { name: 'Add an endpoint' }));
		await expect.poll(() => document.getElementById('ep-url-error')?.textContent).toBe('the URL resolves to a private address');
		expect(screen.getByLabelText('URL').getAttribute('aria-invalid')).toBe('true');
		expect(screen.getAllByRole('alert')).toHaveLength(1); // the form's summary above the fields
		await expect.poll(() => document.activeElement?.id).toBe('ep-url');
	});

	it('marks the event filter when the server refuses it', async () => {
		const { submission } = renderForm();
		submission.reject({ filterTypes: 'unknown event types: job.exploded' });
		await expect.poll(() => document.getElementById('ep-events-error')?.textContent).toBe('unknown event types: job.exploded');
		expect(screen.getAllByRole('checkbox')[0]!.getAttribute('aria-invalid')).toBe('true');
	});
});
