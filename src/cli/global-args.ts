/** Options every grape command takes (declared in main.ts). */
export interface GlobalArgs {
  'data-dir': string;
}
