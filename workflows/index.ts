// The workflow bundle's entry point: every workflow the worker registers.
export { journeyWorkflow } from './journey/journey.workflow';
