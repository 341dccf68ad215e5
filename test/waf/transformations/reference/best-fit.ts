// Not rewritten by the change the reference guards: the oracle shares the current module.
export * from '../../../../src/waf/transformations/best-fit.js';
