/** The spec layer. */
export {};
