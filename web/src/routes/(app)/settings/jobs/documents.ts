import { graphql } from '$lib/graphql/gql';

export const WorkerJobFields = graphql(`
	fragment WorkerJobFields on WorkerJob {
		id
		task
		state
		subject
		attempts
		maxAttempts
		lastError
		runAt
		completedAt
		updatedAt
	}
`);

export const WorkerJobsQuery = graphql(`
	query WorkerJobs($states: [WorkerJobState!]) {
		workerJobs(states: $states, first: 200) {
			...WorkerJobFields
		}
	}
`);

export const RetryWorkerJobMutation = graphql(`
	mutation RetryWorkerJob($input: RetryWorkerJobInput!) {
		retryWorkerJob(input: $input) {
			...WorkerJobFields
		}
	}
`);

export const CancelWorkerJobMutation = graphql(`
	mutation CancelWorkerJob($input: CancelWorkerJobInput!) {
		cancelWorkerJob(input: $input) {
			id
		}
	}
`);
