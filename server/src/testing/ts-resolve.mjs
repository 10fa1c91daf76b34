// Test-only module hook: lets Node run the TypeScript sources directly (child processes in
// tests), mapping the `.js` specifiers of NodeNext imports to the `.ts` files beside them.
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (specifier.endsWith('.js') && (specifier.startsWith('.') || specifier.startsWith('/'))) {
      return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
    }
    throw err;
  }
}
