/** The messaging layer. */
export {};
