/** The observatory layer. */
export {};
