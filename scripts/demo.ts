// npm run demo: the local fleet. Not yet available in this build: the
// controller and agents it starts are still being written (issues 4 and 5).
console.log("npm run demo: not yet available (the local fleet lands with the controller, issue 5)");
