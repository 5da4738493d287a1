<?php
/**
 * Router for PHP's built-in server: real files and folders are served as they are,
 * everything else goes to WordPress's index.php (which makes pretty permalinks work).
 */
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if ($path !== null && $path !== '/' && file_exists(__DIR__ . $path)) {
    return false;
}
if ($path === '/') {
    return false;
}
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = __DIR__ . '/index.php';
$_SERVER['PHP_SELF'] = '/index.php';
require __DIR__ . '/index.php';
