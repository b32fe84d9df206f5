// Placeholder until the native addon lands: always succeeds.
console.log('adaptext: native addon not built yet');
